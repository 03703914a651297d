using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Nabla.Diffusion;

namespace Nabla.Serve;

/// <summary><c>POST /v1/samples</c> and its server-sent-events twin <c>POST /v1/samples/stream</c>.</summary>
static class SampleEndpoints
{
    public static async Task Samples(HttpContext ctx, ContinuousBatchSampler sampler, ServedModel model, ServeOptions options)
    {
        bool png = ctx.Request.Headers.Accept.Any(a => a != null && a.Contains("image/png", StringComparison.OrdinalIgnoreCase));
        if (png && options.GridPng == null) throw new ApiError(406, "Accept", "this server draws no PNG grids; ask for application/json");
        var request = await ReadRequest(ctx, model, options);
        var job = Submit(ctx, sampler, request, null);
        var samples = await Await(job, ctx.RequestAborted);
        var cfg = model.Config;
        if (png)
        {
            var bytes = options.GridPng!(samples.ToArray(), request.Count * cfg.InChannels, cfg.ImageSize, cfg.ImageSize);
            ctx.Response.Headers["X-Seed"] = request.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Results.Bytes(bytes, "image/png").ExecuteAsync(ctx);
        }
        else await ctx.Response.WriteAsJsonAsync(SampleResults.Json(samples, request, model), ctx.RequestAborted);
    }

    public static async Task Stream(HttpContext ctx, ContinuousBatchSampler sampler, ServedModel model, ServeOptions options)
    {
        var request = await ReadRequest(ctx, model, options);
        // Previews pile up no further than a couple of frames when the client reads slowly (the oldest are dropped).
        var frames = Channel.CreateBounded<SamplePreview>(new BoundedChannelOptions(2) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        int every = Math.Max(1, request.Options.Steps / 50);
        var job = Submit(ctx, sampler, request, p => { if (p.Index % every == 0 || p.Index == p.Count - 1) frames.Writer.TryWrite(p); });
        _ = job.Completion.ContinueWith(_ => frames.Writer.TryComplete(), TaskScheduler.Default);

        var res = ctx.Response;
        res.ContentType = "text/event-stream";
        res.Headers.CacheControl = "no-cache";
        res.Headers["X-Accel-Buffering"] = "no";
        var ct = ctx.RequestAborted;
        var accepted = SampleResults.Describe(request, model);
        accepted["queued"] = sampler.Queued;
        await Send(res, "accepted", accepted, ct);
        await foreach (var p in frames.Reader.ReadAllAsync(ct))
            await Send(res, "step", new JsonObject
            {
                ["index"] = p.Index, ["count"] = p.Count, ["t"] = p.Timestep,
                ["pixels"] = Convert.ToBase64String(SampleResults.Gray(p.X0Hat)),
            }, ct);
        Tensor samples;
        try { samples = await Await(job, ct); }
        catch (ApiError e)
        {
            await Send(res, "error", e.ToJson(), ct);
            return;
        }
        var done = SampleResults.Json(samples, request, model);
        done["pixels"] = Convert.ToBase64String(SampleResults.Gray(samples.Data));
        await Send(res, "done", done, ct);
    }

    static async Task<SampleRequest> ReadRequest(HttpContext ctx, ServedModel model, ServeOptions options)
    {
        var ctype = ctx.Request.ContentType;
        if (ctype != null && !ctype.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            throw new ApiError(415, "Content-Type", $"the body must be application/json, got {ctype}");
        byte[] body;
        try { body = await SampleBody.ReadLimited(ctx.Request.Body, ctx.Request.ContentLength, options.MaxBodyBytes, ctx.RequestAborted); }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == 413)
        { throw new ApiError(400, "body", $"the body is over {options.MaxBodyBytes} bytes, the most accepted"); }
        return SampleBody.Parse(body, model, options);
    }

    static SampleJob Submit(HttpContext ctx, ContinuousBatchSampler sampler, SampleRequest request, Action<SamplePreview>? onStep)
    {
        try { return sampler.Submit(request, ctx.RequestAborted, onStep); }
        catch (QueueFullException e)
        {
            int s = (int)Math.Min(3600, Math.Ceiling(e.RetryAfter.TotalSeconds));
            throw new ApiError(429, null, e.Message, new JsonObject { ["retry_after_s"] = s }) { RetryAfterSeconds = s };
        }
        catch (SamplerStoppedException e) { throw new ApiError(503, null, e.Message); }
        catch (ArgumentException e) { throw ApiError.BadField(FieldOf(e.ParamName), e.Message); }
    }

    static async Task<Tensor> Await(SampleJob job, CancellationToken ct)
    {
        try { return await job.Completion.WaitAsync(ct); }
        catch (SamplerStoppedException e) { throw new ApiError(503, null, e.Message); }
    }

    static string FieldOf(string? param) => param switch
    {
        nameof(SampleRequest.Count) => "n", nameof(SampleRequest.Label) => "class", _ => "body",
    };

    static async Task Send(HttpResponse res, string name, JsonObject data, CancellationToken ct)
    {
        await res.WriteAsync($"event: {name}\ndata: {data.ToJsonString()}\n\n", ct);
        await res.Body.FlushAsync(ct);
    }
}
