using CostConsole.Web.Cluster;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Settings;

/// <summary>Whether this instance reaches the shared Redis, and what that means for requests; shown only when Redis is configured.</summary>
public sealed partial class RedisPanel
{
    private bool _checking;
    private TimeSpan _latency;
    private string? _error;

    [Inject]
    private IServiceProvider Services { get; set; } = null!;

    private RedisStore? Redis { get; set; }

    protected override async Task OnInitializedAsync()
    {
        Redis = Services.GetService<RedisStore>();
        if (Redis is not null)
        {
            await CheckAsync();
        }
    }

    private async Task CheckAsync()
    {
        _checking = true;
        try
        {
            _latency = await Redis!.Database.PingAsync();
            _error = null;
        }
        catch (Exception ex) when (RedisStore.IsUnreachable(ex))
        {
            _error = ex.Message;
        }
        finally
        {
            _checking = false;
        }
    }
}
