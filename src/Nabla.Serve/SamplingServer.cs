using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nabla.Diffusion;

namespace Nabla.Serve;

/// <summary>
/// The HTTP face of a <see cref="ContinuousBatchSampler"/> (ASP.NET Core minimal API on Kestrel, loopback only):
/// <list type="bullet">
/// <item><c>POST /v1/samples</c> — JSON in (see <see cref="SampleBody"/>); a PNG grid with <c>Accept: image/png</c>,
///   else JSON with the samples as base64 safetensors;</item>
/// <item><c>POST /v1/samples/stream</c> — the same request as server-sent events: <c>accepted</c>, a <c>step</c> per
///   denoising step with x̂_0 as 8-bit gray pixels (base64), then <c>done</c> (the JSON answer plus the final pixels)
///   or <c>error</c>;</item>
/// <item><c>GET /v1/model</c>, <c>GET /healthz</c>, and the page at <c>/</c>.</item>
/// </list>
/// Handlers only validate, enqueue and stream: the model belongs to the sampler's loop thread. Refusals are JSON
/// <see cref="ApiError"/>s: 400 (bad field), 406, 429 with Retry-After (queue full), 503 (shutting down).
/// </summary>
public static class SamplingServer
{
    /// <summary>A configured app; <paramref name="configure"/> may adjust the builder (e.g. a test server).</summary>
    public static WebApplication Build(ServedModel model, ServeOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(model); ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (options.Port is int port) builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownGrace + TimeSpan.FromSeconds(5));
        var sampler = new ContinuousBatchSampler(model.Pipeline, options.Batching);
        builder.Services.AddSingleton(sampler);
        builder.Services.AddHostedService(sp => new Drain(sampler, options.ShutdownGrace));
        configure?.Invoke(builder);
        var app = builder.Build();
        // The signal (SIGTERM, Ctrl-C, StopAsync) first stops new work and starts the grace period; Kestrel then waits
        // for the requests in flight, which end with their samples or, past the grace period, with 503.
        app.Lifetime.ApplicationStopping.Register(() => _ = sampler.StopAsync(options.ShutdownGrace));

        app.Use(async (ctx, next) =>
        {
            try
            {
                if (sampler.IsStopping && ctx.Request.Path.StartsWithSegments("/v1/samples"))
                    throw new ApiError(503, null, "the server is shutting down");
                await next(ctx);
            }
            catch (ApiError e) { await WriteError(ctx, e); }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { /* the client left */ }
            catch (Exception e)
            {
                // The server never goes down for one request.
                app.Logger.LogError(e, "request {Path} failed", ctx.Request.Path);
                await WriteError(ctx, new ApiError(500, null, $"internal error: {e.Message}"));
            }
        });

        app.MapGet("/", () => Results.Text(Page.Value, "text/html; charset=utf-8"));
        app.MapGet("/healthz", () => sampler.IsStopping
            ? Results.Json(new JsonObject { ["status"] = "stopping" }, statusCode: 503)
            : Results.Json(new JsonObject
            {
                ["status"] = "ok", ["queued"] = sampler.Queued, ["active_requests"] = sampler.ActiveRequests,
                ["active_rows"] = sampler.ActiveRows, ["model_calls"] = sampler.ModelCalls, ["peak_rows"] = sampler.PeakRows,
            }));
        app.MapGet("/v1/model", () => Results.Json(ModelInfo(model, options)));
        app.MapPost("/v1/samples", (HttpContext ctx) => SampleEndpoints.Samples(ctx, sampler, model, options));
        app.MapPost("/v1/samples/stream", (HttpContext ctx) => SampleEndpoints.Stream(ctx, sampler, model, options));
        return app;
    }

    /// <summary>The model's description at <c>GET /v1/model</c>.</summary>
    public static JsonObject ModelInfo(ServedModel model, ServeOptions o) => new()
    {
        ["source"] = model.Source,
        ["step"] = model.Step,
        ["objective"] = model.Pipeline.Prediction.ToString().ToLowerInvariant(),
        ["schedule"] = new JsonObject { ["kind"] = model.Schedule.Kind.ToString().ToLowerInvariant(), ["T"] = model.Schedule.T },
        ["config"] = JsonNode.Parse(model.Config.ToJson()),
        ["conditional"] = model.Config.NumClasses > 0,
        ["classes"] = new JsonArray(model.ClassNames.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
        ["samplers"] = new JsonArray(SampleBody.Samplers.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
        ["defaults"] = Defaults(model),
        ["limits"] = new JsonObject
        {
            ["n"] = Math.Min(o.MaxSamples, o.Batching.MaxBatch), ["steps"] = model.Schedule.T, ["guidance"] = o.MaxGuidance,
            ["body_bytes"] = o.MaxBodyBytes, ["max_batch"] = o.Batching.MaxBatch, ["queue"] = o.Batching.QueueCapacity,
        },
        ["batching"] = o.Batching.Batching,
    };

    static JsonObject Defaults(ServedModel model)
    {
        var d = new DiffusionSamplingOptions();
        return new JsonObject
        {
            ["n"] = 1, ["sampler"] = SampleBody.Name(d.Sampler), ["steps"] = Math.Min(d.Steps, model.Schedule.T),
            ["spacing"] = d.Spacing.ToString().ToLowerInvariant(), ["guidance"] = model.Pipeline.DefaultGuidance, ["eta"] = d.Eta,
        };
    }

    internal static async Task WriteError(HttpContext ctx, ApiError e)
    {
        if (ctx.Response.HasStarted) return;
        ctx.Response.Clear();
        ctx.Response.StatusCode = e.Status;
        if ((e.RetryAfterSeconds ?? (e.Status == 503 ? 5 : null)) is int s) ctx.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await ctx.Response.WriteAsJsonAsync(e.ToJson());
    }

    static readonly Lazy<string> Page = new(() =>
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("Nabla.Serve.index.html")
            ?? throw new InvalidOperationException("Nabla.Serve: the embedded page is missing");
        return new StreamReader(s).ReadToEnd();
    });

    /// <summary>On shutdown: waits until the sampling loop has finished (within the grace period).</summary>
    sealed class Drain(ContinuousBatchSampler sampler, TimeSpan grace) : IHostedService
    {
        public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
        public Task StopAsync(CancellationToken ct) => sampler.StopAsync(grace);
    }
}
