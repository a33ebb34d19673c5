using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.Migrations
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
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "UpstreamPlanned",
                table: "Batches",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "Retries",
                table: "BatchLines",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "UpstreamBatchId",
                table: "BatchLines",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UpstreamBody",
                table: "BatchLines",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UpstreamModel",
                table: "BatchLines",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "UpstreamStatusCode",
                table: "BatchLines",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "UpstreamBatches",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    BatchId = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Provider = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ExternalId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Error = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SubmittedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true)
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
