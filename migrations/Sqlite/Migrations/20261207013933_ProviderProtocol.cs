using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class ProviderProtocol : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Protocol",
                table: "Providers",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "chat");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Protocol",
                table: "Providers");
        }
    }
}
