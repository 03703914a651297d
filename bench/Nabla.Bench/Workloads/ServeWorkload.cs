using System.Diagnostics;
using System.Net;
using System.Text;
using Nabla.Diffusion;
using Nabla.Models;
using Nabla.Serve;

namespace Nabla.Bench;

/// <summary>
/// serve: `nabla serve` under load on loopback — the ddpm workload's UNet (random weights: speed does not depend on
/// them), 10 classes, T = 1000; C clients (default 16) send R requests in all (default 200) of n = 1, DDIM with S
/// steps (default 20), guidance 2, JSON answers; once with continuous batching (--max-batch 64) and once without.
/// Every request must answer 200 or 429 (a 429 is retried after its Retry-After, up to a deadline); reports
/// throughput (images/s), p50/p99 latency of the 200s, counts, model calls, peak rows, peak working set, and the ratio.
/// Args: [clients] [requests] [steps] [preset: small|tiny].
/// </summary>
public static class ServeWorkload
{
    public static void Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "probe") { Probe(args.Length > 1 ? args[1] : "small"); return; }
        int clients = args.Length > 0 ? int.Parse(args[0]) : 16;
        int requests = args.Length > 1 ? int.Parse(args[1]) : 200;
        int steps = args.Length > 2 ? int.Parse(args[2]) : 20;
        string preset = args.Length > 3 ? args[3] : "small";
        var net = new UNet(Config(preset), new Generator(0));
        net.Eval();
        var model = new ServedModel(net, new DiffusionPipeline(net, NoiseSchedule.Create(BetaSchedule.Linear, 1000)), 0, $"random {preset}");
        WarmUp(model, steps);
        var on = Measure(model, true, clients, requests, steps);
        var off = Measure(model, false, clients, requests, steps);
        Emit.Line("serve", "throughput_ratio", Math.Round(on.Throughput / off.Throughput, 2),
            ("clients", clients), ("requests", requests), ("steps", steps), ("preset", preset));
    }

    sealed record Result(double Throughput);

    static UNetConfig Config(string preset) => preset == "tiny"
        ? new UNetConfig { BaseChannels = 16, ChannelMults = new[] { 1, 2 }, Groups = 8, TimeEmbedDim = 64, SinusoidalDim = 32, NumClasses = 10 }
        : UNet.DdpmWorkloadConfig(10);

    /// <summary>Hidden: one model call's time per row at batch 1 … 128 (median of 7), the gain batching can give.</summary>
    static void Probe(string preset)
    {
        var net = new UNet(Config(preset), new Generator(0));
        net.Eval();
        using var _ = Tensor.NoGrad();
        foreach (int b in new[] { 2, 4, 8, 16, 32, 64, 128, 2 })
        {
            var x = Tensor.Randn(new Generator(1), b, 1, 28, 28);
            var t = Tensor.Full(500f, b); var l = Tensor.Full(3f, b);
            var ms = new List<double>();
            for (int r = 0; r < 9; r++)
            {
                using var scope = TensorScope.Begin();
                var sw = Stopwatch.StartNew();
                net.Forward(x, t, l);
                if (r >= 2) ms.Add(sw.Elapsed.TotalMilliseconds);
            }
            double m = Emit.Median(ms);
            Emit.Line("serve", "forward_ms", Math.Round(m, 2), ("rows", b), ("ms_per_row", Math.Round(m / b, 3)), ("preset", preset));
        }
    }

    static void WarmUp(ServedModel model, int steps)
    {
        // JIT and storage pools: a few batched calls at the sizes the runs use
        var s = new ContinuousBatchSampler(model.Pipeline);
        var jobs = Enumerable.Range(0, 16).Select(i => s.Submit(new SampleRequest { Label = i % 10, Seed = (ulong)i, Options = new() { Sampler = SamplerKind.Ddim, Steps = Math.Min(steps, 5) } })).ToArray();
        Task.WaitAll(jobs.Select(j => (Task)j.Completion).ToArray());
        s.Submit(new SampleRequest { Label = 1, Options = new() { Steps = 3 } }).Completion.Wait();
        s.Dispose();
    }

    static Result Measure(ServedModel model, bool batching, int clients, int requests, int steps)
    {
        var app = SamplingServer.Build(model, new ServeOptions
        {
            Port = 0, Batching = new ContinuousBatchOptions { MaxBatch = 64, QueueCapacity = 256, Batching = batching },
        });
        app.StartAsync().GetAwaiter().GetResult();
        var url = app.Urls.Single();
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(10) };
        var latencies = new List<double>();
        int ok = 0, busy = 0, failed = 0, next = 0;
        long peakWs = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(20);
        using var probe = new Timer(_ => { Process.GetCurrentProcess().Refresh(); Interlocked.Exchange(ref peakWs, Math.Max(Interlocked.Read(ref peakWs), Environment.WorkingSet)); }, null, 0, 200);
        var wall = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) <= requests)
            {
                var body = $"{{\"class\": {i % 10}, \"n\": 1, \"sampler\": \"ddim\", \"steps\": {steps}, \"guidance\": 2, \"seed\": {i}}}";
                var sw = Stopwatch.StartNew();
                while (true)
                {
                    using var r = await http.PostAsync("/v1/samples", new StringContent(body, Encoding.UTF8, "application/json"));
                    await r.Content.ReadAsByteArrayAsync();
                    if (r.StatusCode == HttpStatusCode.OK) { lock (latencies) latencies.Add(sw.Elapsed.TotalMilliseconds); Interlocked.Increment(ref ok); break; }
                    if (r.StatusCode == HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline)
                    {
                        Interlocked.Increment(ref busy);
                        await Task.Delay(r.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                        continue;
                    }
                    Interlocked.Increment(ref failed);
                    break;
                }
            }
        })).ToArray();
        bool finished = Task.WaitAll(tasks, TimeSpan.FromMinutes(25));
        double seconds = wall.Elapsed.TotalSeconds;
        var sampler = app.Services.GetService(typeof(ContinuousBatchSampler)) as ContinuousBatchSampler;
        long calls = sampler?.ModelCalls ?? 0; int peakRows = sampler?.PeakRows ?? 0;
        app.StopAsync().GetAwaiter().GetResult();
        ((IAsyncDisposable)app).DisposeAsync().AsTask().GetAwaiter().GetResult();
        latencies.Sort();
        double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
        double throughput = ok / seconds;
        string mode = batching ? "batching" : "no_batching";
        Emit.Line("serve", $"images_per_s_{mode}", Math.Round(throughput, 2),
            ("ok", ok), ("retried_429", busy), ("failed", failed), ("lost", requests - ok - failed), ("finished", finished),
            ("p50_ms", Math.Round(P(0.50), 1)), ("p99_ms", Math.Round(P(0.99), 1)), ("wall_s", Math.Round(seconds, 1)),
            ("model_calls", calls), ("peak_rows", peakRows), ("peak_working_set_mb", Interlocked.Read(ref peakWs) >> 20));
        return new Result(throughput);
    }
}
