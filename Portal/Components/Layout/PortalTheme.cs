using MudBlazor;

namespace Portal.Components.Layout;

/// <summary>
/// MudBlazor's palettes with colours that reach WCAG AA contrast (4.5:1) for text on them and for them as text: the
/// defaults' green, orange and light blue carry white text at 2-3:1. Dark mode uses light tints with black text.
/// </summary>
public static class PortalTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1565C0",
            Secondary = "#6A1B9A",
            Tertiary = "#00695C",
            Info = "#0B5CAD",
            Success = "#1B6E33",
            Warning = "#8A4B00",
            Error = "#C62828",
            AppbarBackground = "#1565C0",
            TextSecondary = "rgba(0,0,0,0.66)",
            ActionDefault = "rgba(0,0,0,0.66)",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#90CAF9",
            PrimaryContrastText = "#000000",
            Secondary = "#CE93D8",
            SecondaryContrastText = "#000000",
            Tertiary = "#80CBC4",
            TertiaryContrastText = "#000000",
            Info = "#81D4FA",
            InfoContrastText = "#000000",
            Success = "#81C784",
            SuccessContrastText = "#000000",
            Warning = "#FFB74D",
            WarningContrastText = "#000000",
            Error = "#EF9A9A",
            ErrorContrastText = "#000000",
            TextSecondary = "rgba(255,255,255,0.72)",
            ActionDefault = "rgba(255,255,255,0.72)",
        },
    };
}
