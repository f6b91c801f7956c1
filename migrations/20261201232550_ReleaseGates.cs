using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations
{
    /// <inheritdoc />
    public partial class ReleaseGates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "BreakGlassReason",
                table: "DeploymentRequests",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "PromotedFromRequestId",
                table: "DeploymentRequests",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "To",
                table: "AuditEvents",
                type: "TEXT",
                maxLength: 24,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 24);

            migrationBuilder.AlterColumn<int>(
                name: "ServiceId",
                table: "AuditEvents",
                type: "INTEGER",
                nullable: true,
                oldClrType: typeof(int),
                oldType: "INTEGER");

            migrationBuilder.AddColumn<string>(
                name: "Action",
                table: "AuditEvents",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Kind",
                table: "AuditEvents",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Subject",
                table: "AuditEvents",
                type: "TEXT",
                maxLength: 256,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<int>(
                name: "TeamId",
                table: "AuditEvents",
                type: "INTEGER",
                nullable: true);

            // Entries written before the audit covered more than requests are request transitions.
            migrationBuilder.Sql("""UPDATE "AuditEvents" SET "Kind" = 'Request', "Action" = COALESCE("To", ''), "Subject" = COALESCE('#' || "RequestId", '') WHERE "Kind" = ''""");

            migrationBuilder.CreateTable(
                name: "FreezeWindows",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Environment = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    StartDay = table.Column<string>(type: "TEXT", maxLength: 10, nullable: true),
                    StartTime = table.Column<TimeOnly>(type: "TEXT", nullable: true),
                    EndDay = table.Column<string>(type: "TEXT", maxLength: 10, nullable: true),
                    EndTime = table.Column<TimeOnly>(type: "TEXT", nullable: true),
                    TimeZone = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    From = table.Column<long>(type: "INTEGER", nullable: true),
                    To = table.Column<long>(type: "INTEGER", nullable: true),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FreezeWindows", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEvents_At",
                table: "AuditEvents",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_AuditEvents_TeamId_At",
                table: "AuditEvents",
                columns: new[] { "TeamId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_FreezeWindows_Environment",
                table: "FreezeWindows",
                column: "Environment");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FreezeWindows");

            migrationBuilder.DropIndex(
                name: "IX_AuditEvents_At",
                table: "AuditEvents");

            migrationBuilder.DropIndex(
                name: "IX_AuditEvents_TeamId_At",
                table: "AuditEvents");

            migrationBuilder.DropColumn(
                name: "BreakGlassReason",
                table: "DeploymentRequests");

            migrationBuilder.DropColumn(
                name: "PromotedFromRequestId",
                table: "DeploymentRequests");

            migrationBuilder.DropColumn(
                name: "Action",
                table: "AuditEvents");

            migrationBuilder.DropColumn(
                name: "Kind",
                table: "AuditEvents");

            migrationBuilder.DropColumn(
                name: "Subject",
                table: "AuditEvents");

            migrationBuilder.DropColumn(
                name: "TeamId",
                table: "AuditEvents");

            migrationBuilder.AlterColumn<string>(
                name: "To",
                table: "AuditEvents",
                type: "TEXT",
                maxLength: 24,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 24,
                oldNullable: true);

            migrationBuilder.AlterColumn<int>(
                name: "ServiceId",
                table: "AuditEvents",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0,
                oldClrType: typeof(int),
                oldType: "INTEGER",
                oldNullable: true);
        }
    }
}
