using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Nabla.Cli.Viz;
using Nabla.Diffusion;
using Nabla.Serve;

namespace Nabla.Cli.Commands;

/// <summary>`nabla serve`: the sampling server (<see cref="SamplingServer"/>) on a loopback port, until SIGTERM or Ctrl-C.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var cmd = new Command("serve", "HTTP sampling server with continuous batching, and a page to use it (loopback only)");
        var ck = CommonOptions.Checkpoint("nabla ddpm train");
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0 picks a free one)", DefaultValueFactory = _ => 8080 };
        var maxBatch = new Option<int>("--max-batch") { Description = "Most samples denoised together in one model call", DefaultValueFactory = _ => 64 };
        var queue = new Option<int>("--queue") { Description = "Most requests waiting to join the batch; beyond, 429 with Retry-After", DefaultValueFactory = _ => 256 };
        var noBatching = new Option<bool>("--no-batching") { Description = "Run requests one at a time (for comparison)" };
        var grace = new Option<double>("--grace") { Description = "Seconds in-flight requests may run after SIGTERM before they are answered 503", DefaultValueFactory = _ => 10 };
        foreach (var o in new Option[] { ck, port, maxBatch, queue, noBatching, grace }) cmd.Options.Add(o);
        cmd.SetAction(r => TrainingRun.Guard("serve", () =>
        {
            int p = r.GetValue(port), mb = r.GetValue(maxBatch), q = r.GetValue(queue);
            double g = r.GetValue(grace);
            if (p is < 0 or > 65535) throw new ArgumentException($"--port must be in 0..65535, got {p}");
            if (mb < 1) throw new ArgumentException($"--max-batch must be ≥ 1, got {mb}");
            if (q < 1) throw new ArgumentException($"--queue must be ≥ 1, got {q}");
            if (!(g >= 0)) throw new ArgumentException($"--grace must be ≥ 0 seconds, got {g}");
            var model = ServedModel.FromCheckpoint(r.GetValue(ck)!);
            var app = SamplingServer.Build(model, new ServeOptions
            {
                Port = p,
                Batching = new ContinuousBatchOptions { MaxBatch = mb, QueueCapacity = q, Batching = !r.GetValue(noBatching) },
                ShutdownGrace = TimeSpan.FromSeconds(g),
                GridPng = PngGrid,
            });
            app.Start();
            Console.WriteLine($"{model.Source}: step {model.Step:N0}, {model.ClassNames.Count} classes; serving on {string.Join(", ", app.Urls)} " +
                $"(batch ≤ {mb}{(r.GetValue(noBatching) ? ", no batching" : "")}, queue {q}); Ctrl-C or SIGTERM stops");
            app.WaitForShutdown();
            return 0;
        }));
        return cmd;
    }

    /// <summary>The server's PNG grids: ImageGrid, ⌈√n⌉ per row, [−1, 1] to gray.</summary>
    public static byte[] PngGrid(float[] pixels, int n, int h, int w) =>
        ImageGrid.EncodePng(pixels, n, h, w, new GridOptions { Range = PixelRange.MinusOneToOne });
}
