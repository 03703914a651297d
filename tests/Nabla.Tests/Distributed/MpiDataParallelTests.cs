using System.Diagnostics;
using Nabla.Cli.Commands;
using Nabla.Data;
using Nabla.Diffusion;
using Nabla.Optim;
using Nabla.Tests.Support;

namespace Nabla.Tests.Distributed;

/// <summary>
/// `nabla ddpm train` under `mpirun -np 2` (tiny UNet preset, the DDPM UNet code path): equal to one process
/// computing both ranks' shards, resumable exactly, and ended cleanly when a rank is killed.
/// </summary>
public class MpiDataParallelTests
{
    const string Mpirun = "mpirun", Install = "apt-get install openmpi-bin";
    static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "Nabla.Cli.dll");
    const int Steps = 4, Batch = 32;
    const ulong Seed = 7;

    static ProcessStartInfo MpirunInfo(int ranks, string args)
    {
        var psi = new ProcessStartInfo(Mpirun)
        {
            Arguments = $"-np {ranks} --oversubscribe --mca btl self,vader -x NABLA_THREADS dotnet \"{Cli}\" {args}",
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        psi.Environment["NABLA_THREADS"] = "1";
        return psi;
    }

    static string TrainArgs(string outDir, int steps, string extra = "") =>
        $"ddpm train --preset tiny --batch {Batch} --seed {Seed} --steps {steps} --minutes 0 --samples-per-class 1 --out \"{outDir}\" {extra}";

    static (int code, string output) Run(ProcessStartInfo psi, int timeoutSeconds = 120)
    {
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(timeoutSeconds * 1000)) { p.Kill(true); Assert.Fail($"mpirun did not finish in {timeoutSeconds} s:\n{output}\n{err.Result}"); }
        return (p.ExitCode, output + err.Result);
    }

    static (Tensor images, int[] labels) Data()
    {
        var d = FashionMnist.Load(null).Train;   // what the CLI loads without --data
        var x = d.Inputs.ToArray();
        for (int i = 0; i < x.Length; i++) x[i] = 2 * x[i] - 1;
        return (new Tensor(x, d.Inputs.Shape), d.Labels);
    }

    /// <summary>‖actual − expected‖₂ ≤ rel · ‖expected‖₂ over all tensors together; the message lists each tensor's relative error.</summary>
    internal static void AssertClose(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual, double rel)
    {
        Assert.Equal(expected.Keys.OrderBy(k => k), actual.Keys.OrderBy(k => k));
        double diff = 0, norm = 0;
        var report = new List<string>();
        foreach (var (k, e) in expected)
        {
            var a = actual[k].ToArray(); var ev = e.ToArray();
            double d = 0, n = 0, worst = 0;
            for (int i = 0; i < ev.Length; i++) { double x = a[i] - ev[i]; d += x * x; n += (double)ev[i] * ev[i]; worst = Math.Max(worst, Math.Abs(x)); }
            diff += d; norm += n;
            if (d > 0) report.Add($"{k}: rel {Math.Sqrt(d / Math.Max(n, 1e-30)):g2}, max |Δ| {worst:g2}");
        }
        Assert.True(Math.Sqrt(diff) <= rel * Math.Sqrt(norm), $"relative difference {Math.Sqrt(diff / norm):g3} > {rel:g1}: " + string.Join("; ", report));
    }

    [ProgramFact(Mpirun, Install)]
    public void TwoRanksEqualOneProcessOverBothShardsAndResumeAndRankDeathAreClean()
    {
        var dir = Directory.CreateTempSubdirectory("nabla-mpi-");
        try
        {
            // 1. equivalence: 2 ranks × batch 32 == one process × 64 images per step (shard 0 and shard 1)
            string a = Path.Combine(dir.FullName, "a");
            var (code, output) = Run(MpirunInfo(2, TrainArgs(a, Steps)));
            Assert.True(code == 0, output);
            Assert.Contains($"batch {Batch} per rank × 2 ranks = {2 * Batch}", output);
            Assert.Single(output.Split('\n'), l => l.StartsWith("completed "));   // rank 0 alone prints
            var ckA = DdpmCheckpoint.Read(Path.Combine(a, DdpmCommand.CheckpointFile));
            Assert.Equal(Steps, ckA.Step);

            var (images, labels) = Data();
            var reference = new DdpmTrainer(DdpmPresets.Get("tiny", 10), ckA.Options, images, labels)   // the options the CLI chose (batch per rank, seed, objective, min-SNR, …)
                .UseDataParallel(new LocalDataParallel(2));
            reference.Train(Steps);                       // to the same step cap: the same learning-rate decay
            Assert.Equal(Steps, reference.Step);
            Assert.Equal(2 * Batch, reference.GlobalBatchSize);
            AssertClose(reference.Model.StateDict(), ckA.Model, 1e-6);
            AssertClose(reference.EmaModel.StateDict(), ckA.Ema, 1e-6);
            for (int i = 0; i < Steps; i++) Assert.True(Math.Abs(reference.Losses[i] - ckA.Losses[i]) <= 1e-5 * reference.Losses[i], $"loss {i}");
            Assert.Equal(reference.Generator.Offset, ckA.RngOffset);

            // 2. a rank dies: every rank ends, non-zero, within a bound; the checkpoint (every step) stays readable
            string k = Path.Combine(dir.FullName, "k"), ckK = Path.Combine(k, DdpmCommand.CheckpointFile);
            using (var p = Process.Start(MpirunInfo(2, TrainArgs(k, 1000, "--checkpoint-every 1")))!)
            {
                var outK = p.StandardOutput.ReadToEndAsync(); var errK = p.StandardError.ReadToEndAsync();
                var sw = Stopwatch.StartNew();
                while (!File.Exists(ckK) && sw.Elapsed < TimeSpan.FromSeconds(90) && !p.HasExited) Thread.Sleep(20);
                Assert.True(File.Exists(ckK), "no checkpoint appeared");
                var ranks = Children(p.Id);
                Assert.Equal(2, ranks.Count);
                int victim = ranks.Single(r => RankOf(r) == 1);
                Process.GetProcessById(victim).Kill();
                sw.Restart();
                Assert.True(p.WaitForExit(30_000), "the other rank did not end within 30 s of rank 1's death");
                Assert.NotEqual(0, p.ExitCode);
                Assert.All(ranks, r => Assert.False(Alive(r), $"rank process {r} still runs"));
                _ = outK.Result + errK.Result;
            }
            var killed = DdpmCheckpoint.Read(ckK);   // intact: written atomically
            Assert.InRange(killed.Step, 1, Steps - 1);

            // 3. resume under mpirun from the survivor's checkpoint equals the uninterrupted run, bitwise
            (code, output) = Run(MpirunInfo(2, TrainArgs(k, Steps, "--resume")));
            Assert.True(code == 0, output);
            Assert.Contains($"resuming {ckK} at step {killed.Step}", output);
            var ckR = DdpmCheckpoint.Read(ckK);
            Assert.Equal(ckA.Losses, ckR.Losses);
            foreach (var (name, t) in ckA.Model) Assert.Equal(t.ToArray(), ckR.Model[name].ToArray());
            foreach (var (name, t) in ckA.Ema) Assert.Equal(t.ToArray(), ckR.Ema[name].ToArray());
        }
        finally { dir.Delete(true); }
    }

    [ProgramFact(Mpirun, Install)]
    public void AskingForMpiOutsideMpirunSaysHowToRunIt()
    {
        var psi = new ProcessStartInfo("dotnet") { Arguments = $"\"{Cli}\" ddpm train --distributed mpi --steps 1", RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment.Remove("OMPI_COMM_WORLD_SIZE"); psi.Environment.Remove("PMIX_RANK");
        var (code, output) = Run(psi);
        Assert.Equal(2, code);
        Assert.Contains("not started by mpirun", output);
        Assert.Contains("mpirun -np N", output);
    }

    static List<int> Children(int parent) =>
        Directory.GetDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : -1).Where(pid => pid > 0 && ParentOf(pid) == parent).ToList();

    static int ParentOf(int pid)
    {
        try { var stat = File.ReadAllText($"/proc/{pid}/stat"); var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); return int.Parse(f[1]); }
        catch (IOException) { return -1; }
        catch (UnauthorizedAccessException) { return -1; }
    }

    static int RankOf(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0').Where(e => e.StartsWith("OMPI_COMM_WORLD_RANK=")).Select(e => int.Parse(e[21..])).Single();

    static bool Alive(int pid)
    {
        try { var stat = File.ReadAllText($"/proc/{pid}/stat"); return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith("Z"); }
        catch (IOException) { return false; }
    }
}
