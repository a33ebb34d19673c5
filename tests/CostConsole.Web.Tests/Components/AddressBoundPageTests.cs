using CostConsole.Web.Components.Layout;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.RenderTree;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CostConsole.Web.Tests.Components;

// The test renderer derives from the framework's Renderer, which is what this warning is about.
#pragma warning disable BL0006

/// <summary>
/// A browser that acknowledges rendered frames slowly makes the circuit hold renders back; an acknowledgement arriving
/// during a navigation lets them through in the middle of the framework's walk over the query-bound pages. These tests play
/// that sequence on a renderer that holds renders on request, with the framework's own query parameter supplier.
/// </summary>
public sealed class AddressBoundPageTests
{
    [Fact]
    public async Task A_held_back_page_change_drawn_while_the_query_bound_pages_are_told_does_not_fail_the_navigation()
    {
        await using var circuit = new Circuit("/a?x=1");
        await circuit.StartAsync();
        Assert.Equal(["A:1"], circuit.Journal);

        // The router's render is held back, then the acknowledgement comes before the query-bound pages are told.
        await circuit.NavigateAsync("/b?x=2");
        await circuit.WaitForAsync("B:2");

        Assert.Empty(circuit.Renderer.Errors);
        Assert.Equal(["A:1", "A:2", "B:2"], circuit.Journal);
    }

    [Fact]
    public async Task A_page_that_left_before_its_changed_address_was_applied_does_not_apply_it()
    {
        await using var circuit = new Circuit("/a?x=1");
        await circuit.StartAsync();

        // The acknowledgement lets the held render through before the page's turn comes: A is gone by then.
        await circuit.NavigateAsync("/b?x=2", thenDraw: true);
        await circuit.WaitForAsync("B:2");
        await circuit.Renderer.Dispatcher.InvokeAsync(() => { });

        Assert.Empty(circuit.Renderer.Errors);
        Assert.Equal(["A:1", "B:2"], circuit.Journal);
    }

    [Fact]
    public async Task A_page_whose_query_alone_changes_reads_the_new_values()
    {
        await using var circuit = new Circuit("/a?x=1");
        await circuit.StartAsync();

        await circuit.NavigateAsync("/a?x=7", hold: false);
        await circuit.WaitForAsync("A:7");

        Assert.Empty(circuit.Renderer.Errors);
        Assert.Equal(["A:1", "A:7"], circuit.Journal);
    }

    private sealed class Circuit : IAsyncDisposable
    {
        private readonly ServiceProvider _root;
        private readonly AsyncServiceScope _scope;

        public Circuit(string address)
        {
            var services = new ServiceCollection();
            services.AddScoped<NavigationManager>(_ => new TestNavigation(address));
            services.AddScoped<Journal>();
            services.AddSupplyValueFromQueryProvider();
            _root = services.BuildServiceProvider();
            _scope = _root.CreateAsyncScope();
            Renderer = new HoldingRenderer(_scope.ServiceProvider);
        }

        public HoldingRenderer Renderer { get; }

        public List<string> Journal => _scope.ServiceProvider.GetRequiredService<Journal>().Entries;

        public Task StartAsync() => Renderer.Dispatcher.InvokeAsync(() => Renderer.RenderHostAsync());

        public Task NavigateAsync(string address, bool hold = true, bool thenDraw = false) => Renderer.Dispatcher.InvokeAsync(() =>
        {
            Renderer.HoldNextNavigation = hold;
            _scope.ServiceProvider.GetRequiredService<NavigationManager>().NavigateTo(address);
            if (thenDraw)
            {
                Renderer.DrawHeld();
            }
        });

        public async Task WaitForAsync(string entry)
        {
            for (var turn = 0; turn < 200 && !await Renderer.Dispatcher.InvokeAsync(() => Journal.Contains(entry)); turn++)
            {
                await Task.Delay(10);
            }

            Assert.Contains(entry, await Renderer.Dispatcher.InvokeAsync(() => Journal.ToList()));
        }

        public async ValueTask DisposeAsync()
        {
            await Renderer.DisposeAsync();
            await _scope.DisposeAsync();
            await _root.DisposeAsync();
        }
    }

    private sealed class TestNavigation : NavigationManager
    {
        public TestNavigation(string address) => Initialize("http://console.test/", "http://console.test" + address);

        protected override void NavigateToCore(string uri, NavigationOptions options)
        {
            Uri = ToAbsoluteUri(uri).ToString();
            NotifyLocationChanged(isInterceptedLink: false);
        }
    }

    private sealed class Journal
    {
        public List<string> Entries { get; } = [];
    }

    private sealed class HoldingRenderer(IServiceProvider services) : Renderer(services, NullLoggerFactory.Instance)
    {
        private bool _holding;

        public override Dispatcher Dispatcher { get; } = Dispatcher.CreateDefault();

        public bool HoldNextNavigation { get; set; }

        public List<Exception> Errors { get; } = [];

        public Task RenderHostAsync()
        {
            var host = (Host)InstantiateComponent(typeof(Host));
            host.Renderer = this;
            return RenderRootComponentAsync(AssignRootComponentId(host));
        }

        /// <summary>Queues the host's render as a circuit with too many unacknowledged frames does, then lets renders through.</summary>
        public void HoldWhile(Action queue)
        {
            _holding = HoldNextNavigation;
            queue();
            _holding = false;
        }

        /// <summary>What an acknowledgement does: draws what was held back.</summary>
        public void DrawHeld() => ProcessPendingRender();

        protected override void ProcessPendingRender()
        {
            if (!_holding)
            {
                base.ProcessPendingRender();
            }
        }

        protected override void HandleException(Exception exception) => Errors.Add(exception);

        protected override Task UpdateDisplayAsync(in RenderBatch renderBatch) => Task.CompletedTask;
    }

    /// <summary>Plays the router: draws page A or B from the address, subscribed to navigation before any page.</summary>
    private sealed class Host : ComponentBase, IDisposable
    {
        [Inject]
        private NavigationManager Navigation { get; set; } = default!;

        public HoldingRenderer Renderer { get; set; } = default!;

        protected override void OnInitialized() => Navigation.LocationChanged += Moved;

        private void Moved(object? sender, LocationChangedEventArgs e) => Renderer.HoldWhile(StateHasChanged);

        protected override void BuildRenderTree(RenderTreeBuilder builder)
        {
            builder.OpenComponent(0, new Uri(Navigation.Uri).AbsolutePath == "/b" ? typeof(PageB) : typeof(PageA));
            builder.CloseComponent();
        }

        public void Dispose() => Navigation.LocationChanged -= Moved;
    }

    private abstract class QueryPage : AddressBoundPage
    {
        [Inject]
        private Journal Journal { get; set; } = default!;

        [SupplyParameterFromQuery(Name = "x")]
        public string? X { get; set; }

        protected abstract string Name { get; }

        protected override void OnParametersSet() => Journal.Entries.Add($"{Name}:{X}");
    }

    private sealed class PageA : QueryPage
    {
        protected override string Name => "A";
    }

    private sealed class PageB : QueryPage
    {
        protected override string Name => "B";
    }
}
