using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CostConsole.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class UpstreamBatches : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "HasBatchApi",
                table: "Providers",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "UpstreamPlanned",
                table: "Batches",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "Retries",
                table: "BatchLines",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "UpstreamBatchId",
                table: "BatchLines",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UpstreamBody",
                table: "BatchLines",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UpstreamModel",
                table: "BatchLines",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "UpstreamStatusCode",
                table: "BatchLines",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "UpstreamBatches",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    BatchId = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Provider = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ExternalId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Error = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    SubmittedAt = table.Column<long>(type: "bigint", nullable: true),
                    FinishedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UpstreamBatches", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BatchLines_UpstreamBatchId",
                table: "BatchLines",
                column: "UpstreamBatchId");

            migrationBuilder.CreateIndex(
                name: "IX_UpstreamBatches_BatchId",
                table: "UpstreamBatches",
                column: "BatchId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "UpstreamBatches");

            migrationBuilder.DropIndex(
                name: "IX_BatchLines_UpstreamBatchId",
                table: "BatchLines");

            migrationBuilder.DropColumn(
                name: "HasBatchApi",
                table: "Providers");

            migrationBuilder.DropColumn(
                name: "UpstreamPlanned",
                table: "Batches");

            migrationBuilder.DropColumn(
                name: "Retries",
                table: "BatchLines");

            migrationBuilder.DropColumn(
                name: "UpstreamBatchId",
                table: "BatchLines");

            migrationBuilder.DropColumn(
                name: "UpstreamBody",
                table: "BatchLines");

            migrationBuilder.DropColumn(
                name: "UpstreamModel",
                table: "BatchLines");

            migrationBuilder.DropColumn(
                name: "UpstreamStatusCode",
                table: "BatchLines");
        }
    }
}
