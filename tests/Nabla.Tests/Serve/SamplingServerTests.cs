using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Nabla.Diffusion;
using Nabla.IO;
using Nabla.Serve;

namespace Nabla.Tests.Serve;

public class SamplingServerTests
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    /// <summary>T of the model where a test needs an ancestral run (T model calls) to outlast its other requests.</summary>
    const int Long = 5000;

    static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    static async Task<JsonObject> ErrorOf(HttpResponseMessage r, HttpStatusCode status, string? field)
    {
        Assert.Equal(status, r.StatusCode);
        var o = (await r.Content.ReadFromJsonAsync<JsonObject>())!;
        var e = o["error"]!.AsObject();
        Assert.Equal(field, (string?)e["field"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)e["message"]));
        return e;
    }

    [Fact]
    public async Task HealthModelAndPageAnswer()
    {
        await using var h = await ServeHost.Start();
        var health = await h.Client.GetFromJsonAsync<JsonObject>("/healthz");
        Assert.Equal("ok", (string?)health!["status"]);
        var model = (await h.Client.GetFromJsonAsync<JsonObject>("/v1/model"))!;
        Assert.Equal("epsilon", (string?)model["objective"]);
        Assert.Equal(200, (int)model["schedule"]!["T"]!);
        Assert.Equal(10, model["classes"]!.AsArray().Count);
        Assert.Equal("Sneaker", (string?)model["classes"]![7]);
        Assert.Equal(28, (int)model["config"]!["ImageSize"]!);
        Assert.Equal(64, (int)model["limits"]!["max_batch"]!);
        var page = await h.Client.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("id=\"generate\"", html);
        Assert.Contains("/v1/samples/stream", html);
    }

    [Fact]
    public async Task SamplesComeAsSafetensorsJsonAndTheSameSeedGivesTheSameSamples()
    {
        await using var h = await ServeHost.Start();
        const string body = "{\"class\": \"sneaker\", \"n\": 3, \"steps\": 6, \"guidance\": 1.5, \"seed\": 42}";
        var r = await h.Client.PostAsync("/v1/samples", Json(body));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var o = (await r.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Sneaker", (string?)o["class"]);
        Assert.Equal(7, (int)o["label"]!);
        Assert.Equal(42UL, (ulong)o["seed"]!);
        var file = SafeTensorFile.Read(Convert.FromBase64String((string)o["safetensors"]!));
        var all = file.ReadAll();
        Assert.Equal(new[] { 3, 1, 28, 28 }, all["samples"].Shape);
        Assert.All(all["samples"].ToArray(), v => Assert.InRange(v, -1f, 1f));
        Assert.Equal(new[] { 3 }, all["labels"].Shape);

        var again = (await (await h.Client.PostAsync("/v1/samples", Json(body))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal((string?)o["safetensors"], (string?)again["safetensors"]);
        var other = (await (await h.Client.PostAsync("/v1/samples", Json(body.Replace("42", "43")))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.NotEqual((string?)o["safetensors"], (string?)other["safetensors"]);

        // defaults: one image, a seed chosen and reported; class by index; unconditional; ancestral sampler
        var d = (await (await h.Client.PostAsync("/v1/samples", Json("{\"steps\": 3}"))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(1, (int)d["n"]!);
        Assert.Null(d["class"]);
        Assert.NotNull(d["seed"]);
        var byIndex = (await (await h.Client.PostAsync("/v1/samples", Json("{\"class\": 2, \"steps\": 2}"))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Pullover", (string?)byIndex["class"]);
        var ddpm = (await (await h.Client.PostAsync("/v1/samples", Json("{\"class\": \"bag\", \"sampler\": \"ddpm\"}"))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(200, (int)ddpm["steps"]!);
        var dpm = (await (await h.Client.PostAsync("/v1/samples", Json("{\"class\": \"coat\", \"sampler\": \"dpm++\", \"steps\": 4}"))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("dpm++", (string?)dpm["sampler"]);
    }

    [Fact]
    public async Task APngGridComesForAcceptImagePng()
    {
        await using var h = await ServeHost.Start();
        var req = new HttpRequestMessage(HttpMethod.Post, "/v1/samples") { Content = Json("{\"class\": \"bag\", \"n\": 4, \"steps\": 3, \"seed\": 1}") };
        req.Headers.Accept.ParseAdd("image/png");
        var r = await h.Client.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("image/png", r.Content.Headers.ContentType!.MediaType);
        var png = await r.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Equal("1", r.Headers.GetValues("X-Seed").Single());
    }

    [Fact]
    public async Task TheStreamSendsAPreviewPerStepThenTheSamples()
    {
        await using var h = await ServeHost.Start();
        var req = new HttpRequestMessage(HttpMethod.Post, "/v1/samples/stream") { Content = Json("{\"class\": \"trouser\", \"n\": 2, \"steps\": 8, \"seed\": 5}") };
        var r = await h.Client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/event-stream", r.Content.Headers.ContentType!.MediaType);
        var sse = new SseReader(await r.Content.ReadAsStreamAsync());
        var first = (await sse.Next())!.Value;
        Assert.Equal("accepted", first.Event);
        Assert.Equal("Trouser", (string?)first.Data["class"]);
        var steps = new List<JsonObject>();
        (string Event, JsonObject Data) ev;
        while ((ev = (await sse.Next())!.Value).Event == "step") steps.Add(ev.Data);
        Assert.Equal("done", ev.Event);
        Assert.InRange(steps.Count, 2, 8);                     // previews may be dropped for a slow reader, never the last
        Assert.Equal(7, (int)steps[^1]["index"]!);
        Assert.All(steps, s => Assert.Equal(2 * 28 * 28, Convert.FromBase64String((string)s["pixels"]!).Length));
        Assert.Equal(2 * 28 * 28, Convert.FromBase64String((string)ev.Data["pixels"]!).Length);
        var plain = (await (await h.Client.PostAsync("/v1/samples", Json("{\"class\": \"trouser\", \"n\": 2, \"steps\": 8, \"seed\": 5}"))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal((string?)plain["safetensors"], (string?)ev.Data["safetensors"]);
        Assert.Null(await sse.Next());
    }

    [Theory]
    [InlineData("{\"class\": \"hat\"}", "class")]
    [InlineData("{\"class\": 10}", "class")]
    [InlineData("{\"class\": -1}", "class")]
    [InlineData("{\"class\": \"s\"}", "class")]             // ambiguous: sandal, shirt, sneaker
    [InlineData("{\"class\": [1]}", "class")]
    [InlineData("{\"n\": 0}", "n")]
    [InlineData("{\"n\": 65}", "n")]
    [InlineData("{\"n\": 1.5}", "n")]
    [InlineData("{\"n\": \"4\"}", "n")]
    [InlineData("{\"steps\": 0}", "steps")]
    [InlineData("{\"steps\": 201}", "steps")]
    [InlineData("{\"guidance\": -0.5}", "guidance")]
    [InlineData("{\"guidance\": 1e9}", "guidance")]
    [InlineData("{\"eta\": 2}", "eta")]
    [InlineData("{\"seed\": -3}", "seed")]
    [InlineData("{\"sampler\": \"heun\"}", "sampler")]
    [InlineData("{\"spacing\": \"even\"}", "spacing")]
    [InlineData("{\"sampler\": 3}", "sampler")]
    [InlineData("{\"stesp\": 20}", "stesp")]
    [InlineData("{\"n\": 1,", "body")]
    [InlineData("[1, 2]", "body")]
    [InlineData("\"sneaker\"", "body")]
    [InlineData("nonsense", "body")]
    public async Task BadRequestsAre400NamingTheField(string body, string field)
    {
        await using var h = await ServeHost.Start();
        foreach (var path in new[] { "/v1/samples", "/v1/samples/stream" })
            await ErrorOf(await h.Client.PostAsync(path, Json(body)), HttpStatusCode.BadRequest, field);
        Assert.Equal("ok", (string?)(await h.Client.GetFromJsonAsync<JsonObject>("/healthz"))!["status"]);
    }

    [Fact]
    public async Task AnUnknownClassListsTheValidOnes()
    {
        await using var h = await ServeHost.Start();
        var e = await ErrorOf(await h.Client.PostAsync("/v1/samples", Json("{\"class\": \"hat\"}")), HttpStatusCode.BadRequest, "class");
        Assert.Contains("Ankle boot", (string?)e["message"]);
        Assert.Equal(10, e["valid"]!.AsArray().Count);
        var n = await ErrorOf(await h.Client.PostAsync("/v1/samples", Json("{\"n\": 100}")), HttpStatusCode.BadRequest, "n");
        Assert.Equal(64, (double)n["max"]!);
    }

    [Fact]
    public async Task OversizedBodiesWrongTypesAndUnservableFormatsAreRefused()
    {
        await using var h = await ServeHost.Start(new ServeOptions { MaxBodyBytes = 256 });
        var big = "{\"class\": \"" + new string('x', 1000) + "\"}";
        await ErrorOf(await h.Client.PostAsync("/v1/samples", Json(big)), HttpStatusCode.BadRequest, "body");
        // without a length up front (chunked), too
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        await ErrorOf(await h.Client.PostAsync("/v1/samples", chunked), HttpStatusCode.BadRequest, "body");
        await ErrorOf(await h.Client.PostAsync("/v1/samples", new StringContent("n=1", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType, "Content-Type");

        await using var noPng = await ServeHost.Start(png: false);
        var req = new HttpRequestMessage(HttpMethod.Post, "/v1/samples") { Content = Json("{\"steps\": 2}") };
        req.Headers.Accept.ParseAdd("image/png");
        await ErrorOf(await noPng.Client.SendAsync(req), HttpStatusCode.NotAcceptable, "Accept");
    }

    [Fact]
    public async Task AFullQueueAnswers429WithRetryAfter()
    {
        await using var h = await ServeHost.Start(new ServeOptions { Batching = new ContinuousBatchOptions { Batching = false, QueueCapacity = 1 } }, model: ServeHost.TinyModel(Long));
        using var cts = new CancellationTokenSource();
        // A long request runs; a second one waits; a third finds the queue full.
        var running = new HttpRequestMessage(HttpMethod.Post, "/v1/samples/stream") { Content = Json("{\"sampler\": \"ddpm\", \"n\": 1}") };
        var rs = await h.Client.SendAsync(running, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var sse = new SseReader(await rs.Content.ReadAsStreamAsync(cts.Token));
        Assert.Equal("accepted", (await sse.Next(cts.Token))!.Value.Event);
        Assert.Equal("step", (await sse.Next(cts.Token))!.Value.Event);
        var waiting = h.Client.PostAsync("/v1/samples", Json("{\"steps\": 2}"), cts.Token);
        await Eventually(async () => (int)(await h.Client.GetFromJsonAsync<JsonObject>("/healthz"))!["queued"]! == 1);
        var full = await h.Client.PostAsync("/v1/samples", Json("{\"steps\": 2}"));
        var e = await ErrorOf(full, HttpStatusCode.TooManyRequests, null);
        Assert.True(full.Headers.RetryAfter!.Delta >= TimeSpan.FromSeconds(1));
        Assert.True((double)e["retry_after_s"]! >= 1);
        cts.Cancel();
        rs.Dispose();
        await Eventually(async () => (int)(await h.Client.GetFromJsonAsync<JsonObject>("/healthz"))!["active_rows"]! == 0);
    }

    [Fact]
    public async Task AClientThatLeavesCancelsItsRows()
    {
        await using var h = await ServeHost.Start(model: ServeHost.TinyModel(Long));
        using var cts = new CancellationTokenSource();
        var req = new HttpRequestMessage(HttpMethod.Post, "/v1/samples/stream") { Content = Json("{\"sampler\": \"ddpm\", \"n\": 5, \"class\": 1}") };
        var r = await h.Client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var sse = new SseReader(await r.Content.ReadAsStreamAsync(cts.Token));
        Assert.Equal("accepted", (await sse.Next(cts.Token))!.Value.Event);
        Assert.Equal("step", (await sse.Next(cts.Token))!.Value.Event);
        Assert.Equal(5, (int)(await h.Client.GetFromJsonAsync<JsonObject>("/healthz"))!["active_rows"]!);
        cts.Cancel();
        r.Dispose();                                           // the client hangs up
        await Eventually(async () => (int)(await h.Client.GetFromJsonAsync<JsonObject>("/healthz"))!["active_rows"]! == 0);

        // the same for a plain (non-streaming) request
        using var cts2 = new CancellationTokenSource();
        var plain = h.Client.PostAsync("/v1/samples", Json("{\"sampler\": \"ddpm\", \"n\": 3}"), cts2.Token);
        await Eventually(async () => (int)(await h.Client.GetFromJsonAsync<JsonObject>("/healthz"))!["active_rows"]! == 3);
        cts2.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => plain);
        await Eventually(async () => (int)(await h.Client.GetFromJsonAsync<JsonObject>("/healthz"))!["active_rows"]! == 0);
        Assert.Equal(HttpStatusCode.OK, (await h.Client.PostAsync("/v1/samples", Json("{\"steps\": 2}"))).StatusCode);
    }

    [Fact]
    public async Task ShutdownLetsInFlightRequestsFinishThenRefusesWith503()
    {
        var h = await ServeHost.Start(new ServeOptions { ShutdownGrace = TimeSpan.FromSeconds(60) });
        var inflight = h.Client.PostAsync("/v1/samples", Json("{\"sampler\": \"ddpm\", \"n\": 2, \"class\": 3}"));
        await Eventually(async () => inflight.IsCompleted || (int)(await h.Client.GetFromJsonAsync<JsonObject>("/healthz"))!["active_rows"]! == 2);
        var stop = h.App.StopAsync();
        var late = await h.Client.PostAsync("/v1/samples", Json("{\"steps\": 2}"));
        await ErrorOf(late, HttpStatusCode.ServiceUnavailable, null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await h.Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await inflight).StatusCode);
        await stop.WaitAsync(Patience);
        await h.App.DisposeAsync();

        // past the grace period, what still runs is answered 503
        var g = await ServeHost.Start(new ServeOptions { ShutdownGrace = TimeSpan.FromMilliseconds(100) }, model: ServeHost.TinyModel(Long));
        var slow = g.Client.PostAsync("/v1/samples", Json("{\"sampler\": \"ddpm\", \"n\": 1}"));
        await Eventually(async () => (int)(await g.Client.GetFromJsonAsync<JsonObject>("/healthz"))!["active_rows"]! == 1);
        var stop2 = g.App.StopAsync();
        await ErrorOf(await slow.WaitAsync(Patience), HttpStatusCode.ServiceUnavailable, null);
        await stop2.WaitAsync(Patience);
        await g.App.DisposeAsync();
    }

    [Fact]
    public async Task ConcurrentClientsAllGetAnAnswerAndRequestsShareModelCalls()
    {
        // The correctness half of the `serve` benchmark: every request is answered 200 or 429, none lost or hung.
        await using var h = await ServeHost.Start(new ServeOptions { Batching = new ContinuousBatchOptions { MaxBatch = 16, QueueCapacity = 6 } }, loopback: true);
        int ok = 0, busy = 0, next = 0;
        const int total = 48;
        var clients = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= total)
            {
                var r = await h.Client.PostAsync("/v1/samples", Json("{\"class\": 4, \"steps\": 5}"));
                if (r.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref ok);
                else if (r.StatusCode == HttpStatusCode.TooManyRequests) { Interlocked.Increment(ref busy); Assert.NotNull(r.Headers.RetryAfter); }
                else Assert.Fail($"unexpected {(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
            }
        })).ToArray();
        await Task.WhenAll(clients).WaitAsync(Patience);
        Assert.Equal(total, ok + busy);
        Assert.True(ok >= 1, $"{ok} of {total} answered 200");
        var health = (await h.Client.GetFromJsonAsync<JsonObject>("/healthz"))!;
        Assert.Equal(0, (int)health["active_rows"]!);
        Assert.True((int)health["peak_rows"]! > 1, "concurrent requests should have shared a model call");
    }

    [Fact]
    public async Task OverARealSocketAClientThatHangsUpCancelsItsRows()
    {
        await using var h = await ServeHost.Start(loopback: true, model: ServeHost.TinyModel(Long));
        using var cts = new CancellationTokenSource();
        var pending = h.Client.PostAsync("/v1/samples", Json("{\"sampler\": \"ddpm\", \"n\": 2, \"class\": 0}"), cts.Token);
        await Eventually(async () => (int)(await h.Client.GetFromJsonAsync<JsonObject>("/healthz"))!["active_rows"]! == 2);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        await Eventually(async () => (int)(await h.Client.GetFromJsonAsync<JsonObject>("/healthz"))!["active_rows"]! == 0);
    }

    static async Task Eventually(Func<Task<bool>> condition)
    {
        var end = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > end) Assert.Fail("condition not reached in time");
            await Task.Delay(20);
        }
    }
}
