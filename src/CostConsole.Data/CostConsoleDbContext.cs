using CostConsole.Data.Entities;
using CostConsole.Data.Metrics;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CostConsole.Data;

/// <summary>
/// The console's one database: configuration, the ledger and its rollups, budgets, and the console's users and
/// roles (ASP.NET Core Identity), so a backup or a restore is one file.
/// </summary>
public sealed class CostConsoleDbContext(DbContextOptions<CostConsoleDbContext> options) : IdentityDbContext<IdentityUser, IdentityRole, string>(options)
{
    public DbSet<TierEntity> Tiers => Set<TierEntity>();

    public DbSet<ProviderEntity> Providers => Set<ProviderEntity>();

    public DbSet<ModelEntity> Models => Set<ModelEntity>();

    public DbSet<ModelPriceEntity> ModelPrices => Set<ModelPriceEntity>();

    public DbSet<TierMappingEntity> TierMappings => Set<TierMappingEntity>();

    public DbSet<RuleSetEntity> RuleSets => Set<RuleSetEntity>();

    public DbSet<ApiKeyEntity> ApiKeys => Set<ApiKeyEntity>();

    public DbSet<BudgetEntity> Budgets => Set<BudgetEntity>();

    public DbSet<BudgetAlertEntity> BudgetAlerts => Set<BudgetAlertEntity>();

    public DbSet<RequestLogRow> RequestLog => Set<RequestLogRow>();

    public DbSet<AuditLogEntity> AuditLog => Set<AuditLogEntity>();

    public DbSet<ExperimentEntity> Experiments => Set<ExperimentEntity>();

    public DbSet<FeedbackEntity> Feedback => Set<FeedbackEntity>();

    public DbSet<MinuteRollupRow> MinuteRollups => Set<MinuteRollupRow>();

    public DbSet<HourRollupRow> HourRollups => Set<HourRollupRow>();

    public DbSet<EndUserSpendRow> EndUserSpend => Set<EndUserSpendRow>();

    public DbSet<ConversationSpendRow> ConversationSpend => Set<ConversationSpendRow>();

    public DbSet<SpendTotalsMarkRow> SpendTotalsMark => Set<SpendTotalsMarkRow>();

    public DbSet<SavedViewEntity> SavedViews => Set<SavedViewEntity>();

    public DbSet<AlertRuleEntity> AlertRules => Set<AlertRuleEntity>();

    public DbSet<AlertEventEntity> AlertEvents => Set<AlertEventEntity>();

    public DbSet<AlertDeliveryEntity> AlertDeliveries => Set<AlertDeliveryEntity>();

    public DbSet<LabelledExampleEntity> LabelledExamples => Set<LabelledExampleEntity>();

    public DbSet<TrainedModelEntity> TrainedModels => Set<TrainedModelEntity>();

    public DbSet<RouterShadowEntity> RouterShadows => Set<RouterShadowEntity>();
    public DbSet<RouterProposalEntity> RouterProposals => Set<RouterProposalEntity>();

    public DbSet<RouterLearningEntity> RouterLearning => Set<RouterLearningEntity>();

    public DbSet<CacheEntryEntity> CacheEntries => Set<CacheEntryEntity>();

    public DbSet<CacheSettingsEntity> CacheSettings => Set<CacheSettingsEntity>();
    public DbSet<BatchFileEntity> BatchFiles => Set<BatchFileEntity>();

    public DbSet<StoredResponseEntity> StoredResponses => Set<StoredResponseEntity>();

    public DbSet<BatchEntity> Batches => Set<BatchEntity>();

    public DbSet<BatchLineEntity> BatchLines => Set<BatchLineEntity>();

    public DbSet<UpstreamBatchEntity> UpstreamBatches => Set<UpstreamBatchEntity>();

    public DbSet<ChangeVersionEntity> ChangeVersions => Set<ChangeVersionEntity>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot compare DateTimeOffset text across offsets; Unix milliseconds sort and filter correctly.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UnixMillisecondsConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        modelBuilder.Entity<ChangeVersionEntity>(e =>
        {
            e.ToTable("ChangeVersions");
            e.HasKey(v => v.Topic);
            e.Property(v => v.Topic).HasMaxLength(ChangeVersionEntity.MaxTopic);
            e.HasData(ChangeVersionEntity.Topics.Select(topic => new ChangeVersionEntity { Topic = topic, Version = 0 }));
        });

        modelBuilder.Entity<BudgetEntity>(e =>
        {
            e.ToTable("Budgets");
            e.HasIndex(b => b.Name).IsUnique();
        });

        modelBuilder.Entity<BudgetAlertEntity>(e =>
        {
            e.ToTable("BudgetAlerts");
            e.HasIndex(a => a.At);
            e.HasIndex(a => new { a.BudgetId, a.PeriodStart, a.Threshold });
        });

        modelBuilder.Entity<TierEntity>(e =>
        {
            e.ToTable("Tiers");
            e.HasIndex(t => t.Name).IsUnique();
        });

        modelBuilder.Entity<ProviderEntity>(e =>
        {
            e.ToTable("Providers");
            e.HasIndex(p => p.Name).IsUnique();
            e.Property(p => p.Protocol).HasMaxLength(16).HasDefaultValue("chat");
            e.Property(p => p.ConcurrencyStamp).IsConcurrencyToken();
        });

        modelBuilder.Entity<ModelEntity>(e =>
        {
            e.ToTable("Models");
            e.HasIndex(m => new { m.ProviderId, m.ModelId }).IsUnique();
            e.Property(m => m.ConcurrencyStamp).IsConcurrencyToken();
            e.HasOne(m => m.Provider).WithMany(p => p.Models).HasForeignKey(m => m.ProviderId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<ModelPriceEntity>(e =>
        {
            e.ToTable("ModelPrices");
            e.HasIndex(p => new { p.ModelId, p.EffectiveFrom }).IsUnique();
            e.HasOne(p => p.Model).WithMany(m => m.Prices).HasForeignKey(p => p.ModelId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<TierMappingEntity>(e =>
        {
            e.ToTable("TierMappings");
            e.HasIndex(m => m.Name).IsUnique();
            e.Property(m => m.ConcurrencyStamp).IsConcurrencyToken();
        });

        modelBuilder.Entity<RuleSetEntity>(e =>
        {
            e.ToTable("RuleSets");
            e.HasIndex(r => r.Version).IsUnique();
            e.HasIndex(r => r.Status);
            e.Property(r => r.ConcurrencyStamp).IsConcurrencyToken();
        });

        modelBuilder.Entity<ApiKeyEntity>(e =>
        {
            e.ToTable("ApiKeys");
            e.HasIndex(k => k.Hash).IsUnique();
            e.Property(k => k.Scopes).HasDefaultValue(Keys.KeyScopeNames.Inference);
        });

        modelBuilder.Entity<AuditLogEntity>(e =>
        {
            e.ToTable("AuditLog");
            e.HasIndex(a => a.At);
        });

        modelBuilder.Entity<RequestLogRow>(e =>
        {
            e.ToTable("RequestLog");
            e.HasIndex(r => r.RequestId).IsUnique();
            if (Database.IsNpgsql())
            {
                // Ids are ASCII: compared byte by byte, the beginning of an id is a range of the id index whatever the
                // database's collation (under a linguistic one PostgreSQL can use the index for whole ids only).
                e.Property(r => r.RequestId).UseCollation("C");
            }

            e.HasIndex(r => r.Timestamp);

            // The request explorer filters by these and pages newest first.
            e.HasIndex(r => new { r.ApiKeyId, r.Timestamp });
            e.HasIndex(r => new { r.Tier, r.Timestamp });
            e.HasIndex(r => new { r.Model, r.Timestamp });
            e.HasIndex(r => new { r.Rule, r.Timestamp });
            e.HasIndex(r => new { r.Status, r.Timestamp });
            e.HasIndex(r => r.CostNanoUsd);
            e.HasIndex(r => r.LatencyMs);
            e.HasIndex(r => r.BaselineCostNanoUsd);
            // Conversations and end users are too many to roll up: the Spend page ranks them from these indexes alone,
            // which carry the cost and baseline so that a month's ranking never reads the ledger's rows.
            // Every index below holds only the rows that have a value: most requests carry no conversation, end user,
            // experiment, cache verdict, shadow or open review, and a row that an index leaves out costs its commit nothing
            // there. Each query that reads one of them says the value is there (an equality, IN, or IS NOT NULL), so the
            // databases still choose it.
            e.HasIndex(r => new { r.ConversationId, r.Timestamp, r.CostNanoUsd, r.BaselineCostNanoUsd }, SpendIndexes.Conversation).HasFilter("\"ConversationId\" IS NOT NULL");
            e.HasIndex(r => new { r.EndUser, r.Timestamp, r.CostNanoUsd, r.BaselineCostNanoUsd }, SpendIndexes.EndUser).HasFilter("\"EndUser\" IS NOT NULL");
            e.Property(r => r.EndUser).HasMaxLength(200);
            e.HasIndex(r => new { r.ExperimentId, r.Arm }).HasFilter("\"ExperimentId\" IS NOT NULL");
            e.Property(r => r.Protocol).HasMaxLength(32).HasDefaultValue("chat.completions");

            // The human-escalation queue reads only the open reviews (ReviewState.Open).
            e.HasIndex(r => new { r.Review, r.Timestamp }).HasFilter("\"Review\" = 1");
            e.HasIndex(r => new { r.CacheLevel, r.Timestamp }).HasFilter("\"CacheLevel\" IS NOT NULL");
            e.HasIndex(r => new { r.ShadowModel, r.Timestamp }).HasFilter("\"ShadowModel\" IS NOT NULL");

            // The dashboard's batch and provider-caching cards read only batch lines and rows with cache reads in a range.
            e.HasIndex(r => r.Timestamp, "IX_RequestLog_Timestamp_Batch").HasFilter("\"BatchId\" IS NOT NULL");
            e.HasIndex(r => r.Timestamp, "IX_RequestLog_Timestamp_CacheReads").HasFilter("\"CachedTokens\" > 0");
        });

        modelBuilder.Entity<BatchFileEntity>(e =>
        {
            e.ToTable("BatchFiles");
            e.Property(f => f.Id).HasMaxLength(40);
            e.HasIndex(f => new { f.ApiKeyId, f.CreatedAt });
        });

        modelBuilder.Entity<BatchEntity>(e =>
        {
            e.ToTable("Batches");
            e.Property(b => b.Id).HasMaxLength(40);
            e.Property(b => b.LeaseOwner).HasMaxLength(80);
            e.HasIndex(b => b.Status);
            e.HasIndex(b => new { b.ApiKeyId, b.CreatedAt });
        });

        modelBuilder.Entity<BatchLineEntity>(e =>
        {
            e.ToTable("BatchLines");
            e.HasIndex(l => new { l.BatchId, l.Line }).IsUnique();
            e.HasIndex(l => new { l.BatchId, l.Status });
            e.HasIndex(l => l.UpstreamBatchId);
        });

        modelBuilder.Entity<UpstreamBatchEntity>(e =>
        {
            e.ToTable("UpstreamBatches");
            e.Property(u => u.BatchId).HasMaxLength(40);
            e.Property(u => u.Provider).HasMaxLength(200);
            e.Property(u => u.ExternalId).HasMaxLength(200);
            e.Property(u => u.Status).HasMaxLength(20);
            e.HasIndex(u => u.BatchId);
        });

        modelBuilder.Entity<LabelledExampleEntity>(e =>
        {
            e.ToTable("LabelledExamples");
            e.HasIndex(x => x.Prompt).IsUnique();
            e.HasIndex(x => x.CreatedAt);
        });

        modelBuilder.Entity<TrainedModelEntity>(e =>
        {
            e.ToTable("TrainedModels");
            e.HasIndex(m => new { m.Name, m.Version }).IsUnique();
        });

        modelBuilder.Entity<RouterShadowEntity>(e =>
        {
            e.ToTable("RouterShadows");
            e.HasIndex(x => x.StoppedAt);
        });

        modelBuilder.Entity<RouterProposalEntity>(e =>
        {
            e.ToTable("RouterProposals");
            e.HasIndex(p => p.CreatedAt);
        });

        modelBuilder.Entity<RouterLearningEntity>(e =>
        {
            e.ToTable("RouterLearning");
            e.Property(l => l.Id).ValueGeneratedNever();
        });

        modelBuilder.Entity<StoredResponseEntity>(e =>
        {
            e.ToTable("StoredResponses");
            e.Property(r => r.Id).HasMaxLength(64);
            e.HasIndex(r => r.CreatedAt);
        });

        modelBuilder.Entity<CacheEntryEntity>(e =>
        {
            e.ToTable("CacheEntries");
            e.HasIndex(c => c.Namespace);
            e.HasIndex(c => c.ExpiresAt);
        });

        modelBuilder.Entity<CacheSettingsEntity>(e =>
        {
            e.ToTable("CacheSettings");
            e.Property(c => c.Id).ValueGeneratedNever();
            e.Property(c => c.ConcurrencyStamp).IsConcurrencyToken();
        });

        modelBuilder.Entity<ExperimentEntity>(e =>
        {
            e.ToTable("Experiments");
            e.HasIndex(x => x.State);
            e.Property(x => x.ConcurrencyStamp).IsConcurrencyToken();
        });

        modelBuilder.Entity<FeedbackEntity>(e =>
        {
            e.ToTable("Feedback");
            e.HasIndex(f => f.RequestId).IsUnique();

            // The property is not named Source: EF Core's compiled-model generator writes code that does not compile for
            // a property of that name (dotnet/efcore#34493).
            e.Property(f => f.Origin).HasColumnName("Source");
        });

        modelBuilder.Entity<MinuteRollupRow>(e =>
        {
            e.ToTable("MinuteRollups");
            e.HasIndex(r => r.Start);
        });

        modelBuilder.Entity<HourRollupRow>(e =>
        {
            e.ToTable("HourRollups");
            e.HasIndex(r => r.Start);
        });

        // Walked in descending cost, reading the name and the first and last request from the index alone.
        modelBuilder.Entity<EndUserSpendRow>(e =>
        {
            e.ToTable("EndUserSpend");
            e.HasKey(r => r.Name);
            e.Property(r => r.Name).HasMaxLength(200);
            e.HasIndex(r => new { r.CostNanoUsd, r.Name, r.First, r.Last }, SpendTotals.EndUserWalk);
        });

        modelBuilder.Entity<ConversationSpendRow>(e =>
        {
            e.ToTable("ConversationSpend");
            e.HasKey(r => r.Name);
            e.HasIndex(r => new { r.CostNanoUsd, r.Name, r.First, r.Last }, SpendTotals.ConversationWalk);
        });

        modelBuilder.Entity<SpendTotalsMarkRow>(e =>
        {
            e.ToTable("SpendTotalsMark");
            e.Property(r => r.Id).ValueGeneratedNever();
        });

        // One name per owner, enforced by the database, so two tabs saving the same name at once cannot both win.
        modelBuilder.Entity<SavedViewEntity>(e =>
        {
            e.HasIndex(v => new { v.Owner, v.Name }).IsUnique();
            e.HasIndex(v => v.SharedWithRole);
            e.Property(v => v.Name).HasMaxLength(SavedViewEntity.MaxName);
            e.Property(v => v.Query).HasMaxLength(SavedViewEntity.MaxQuery);
        });

        modelBuilder.Entity<AlertRuleEntity>(e =>
        {
            e.HasIndex(r => r.Name).IsUnique();
            e.Property(r => r.Name).HasMaxLength(AlertRuleEntity.MaxName);
        });

        // Episodes outlive their rule, so no foreign key to it: the history keeps the rule's name as it was.
        modelBuilder.Entity<AlertEventEntity>(e =>
        {
            e.HasIndex(a => a.FiredAt);
            e.HasIndex(a => new { a.RuleId, a.FiredAt });
            e.HasIndex(a => new { a.RuleId, a.ResolvedAt });
            e.Property(a => a.RuleName).HasMaxLength(AlertRuleEntity.MaxName);
            e.Property(a => a.Condition).HasMaxLength(AlertEventEntity.MaxText);
            e.HasMany(a => a.Deliveries).WithOne().HasForeignKey(d => d.AlertEventId).OnDelete(DeleteBehavior.Cascade);
        });
    }

    /// <summary>Instants stored as Unix milliseconds; internal so that the compiled model can create it.</summary>
    internal sealed class UnixMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.ToUnixTimeMilliseconds(),
        v => DateTimeOffset.FromUnixTimeMilliseconds(v));
}
