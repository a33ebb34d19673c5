using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class StoredResponses : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "StoredResponses",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ApiKeyId = table.Column<long>(type: "bigint", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    Conversation = table.Column<string>(type: "text", nullable: false),
                    Response = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StoredResponses", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_StoredResponses_CreatedAt",
                table: "StoredResponses",
                column: "CreatedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "StoredResponses");
        }
    }
}
