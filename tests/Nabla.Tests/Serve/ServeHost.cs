using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Nabla.Cli.Commands;
using Nabla.Diffusion;
using Nabla.Models;
using Nabla.Serve;

namespace Nabla.Tests.Serve;

/// <summary>A sampling server over the tiny UNet preset with random weights (the API's behaviour is what is tested),
/// in-process (ASP.NET Core's test server) or on a loopback port.</summary>
public sealed class ServeHost : IAsyncDisposable
{
    public WebApplication App { get; }
    public HttpClient Client { get; }
    public ServedModel Model { get; }
    /// <summary>http://127.0.0.1:PORT for a loopback host, null for the test server.</summary>
    public string? Url { get; }

    ServeHost(WebApplication app, HttpClient client, ServedModel model, string? url) { App = app; Client = client; Model = model; Url = url; }

    public static ServedModel TinyModel(int T = 200)
    {
        var net = new UNet(DdpmPresets.Get("tiny", 10), new Generator(3));
        net.Eval();
        return new ServedModel(net, new DiffusionPipeline(net, NoiseSchedule.Create(BetaSchedule.Linear, T)), step: 0, source: "tiny-random");
    }

    public static async Task<ServeHost> Start(ServeOptions? options = null, bool loopback = false, ServedModel? model = null, bool png = true)
    {
        model ??= TinyModel();
        options ??= new ServeOptions();
        options = options with { Port = loopback ? 0 : null, GridPng = png ? ServeCommand.PngGrid : null };
        var app = SamplingServer.Build(model, options, b => { if (!loopback) b.WebHost.UseTestServer(); });
        await app.StartAsync();
        if (!loopback) return new ServeHost(app, app.GetTestClient(), model, null);
        string url = app.Urls.Single();
        Assert.StartsWith("http://127.0.0.1:", url);
        return new ServeHost(app, new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(120) }, model, url);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
