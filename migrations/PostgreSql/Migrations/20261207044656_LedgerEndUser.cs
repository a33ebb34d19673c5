using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class LedgerEndUser : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "EndUser",
                table: "RequestLog",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_EndUser_Timestamp",
                table: "RequestLog",
                columns: new[] { "EndUser", "Timestamp" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RequestLog_EndUser_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "EndUser",
                table: "RequestLog");
        }
    }
}
