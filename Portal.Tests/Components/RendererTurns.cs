using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;

namespace Portal.Tests;

/// <summary>
/// Acting on a component as a user does: wait until the element is shown, then find it and trigger the event in one
/// turn of the renderer. A component that finishes work asynchronously (the tag picker after a blur, a review after
/// its await) renders again at any moment; an element found before that render carries event handler ids the renderer
/// has already dropped, and an element a click adds is there only once the click's turn has run.
/// </summary>
internal static class RendererTurns
{
    public static void Click<T>(this IRenderedComponent<T> cut, string selector)
        where T : IComponent => Act(cut, selector, element => element.Click());

    public static void Change<T, TValue>(this IRenderedComponent<T> cut, string selector, TValue value)
        where T : IComponent => Act(cut, selector, element => element.Change(value));

    public static void Input<T>(this IRenderedComponent<T> cut, string selector, string value)
        where T : IComponent => Act(cut, selector, element => element.Input(value));

    public static void Blur<T>(this IRenderedComponent<T> cut, string selector)
        where T : IComponent => Act(cut, selector, element => element.Blur());

    public static void Submit<T>(this IRenderedComponent<T> cut, string selector)
        where T : IComponent => Act(cut, selector, element => element.Submit());

    private static void Act<T>(IRenderedComponent<T> cut, string selector, Action<IElement> trigger)
        where T : IComponent
    {
        cut.WaitForElement(selector);
        cut.InvokeAsync(() => trigger(cut.Find(selector))).GetAwaiter().GetResult();
    }
}
