using System.Diagnostics;
using Nabla.Cli.Commands;
using Nabla.Data;
using Nabla.Diffusion;
using Nabla.IO;

namespace Nabla.Tests.Cli;

/// <summary>
/// Crash-safe training, tested by crashing it: `nabla ddpm train` (tiny preset, a checkpoint after every step) runs
/// as a child process and is killed with SIGKILL at random moments — half of them while a checkpoint is being
/// written (its temporary file exists) — then resumed with --resume. After every kill the checkpoint on disk must
/// read as intact, and its losses must be the uninterrupted run's bit for bit; so must those of the run finished by
/// resuming. One round sends Ctrl-C (SIGINT) instead: the run saves and exits 130. A write that fails like a full disk leaves the previous checkpoint intact with a clear error.
/// </summary>
[Collection("Console")]
public class CrashResumeTests
{
    const int Steps = 8, Batch = 4;
    static readonly float MinSnr = DdpmTrainingOptions.MainJob.MinSnrGamma, Lr = DdpmTrainingOptions.MainJob.LearningRate;   // the CLI's defaults, passed explicitly; the rest of the recipe (objective, schedule, zero SNR) comes from the CLI's MainJob defaults, as the reference's
    static readonly string Bin = AppContext.BaseDirectory;
    static readonly string DataDir = Path.Combine(Bin, "data", "fashion-mnist");

    /// <summary>The uninterrupted run, in process: what the CLI builds for these options.</summary>
    static float[] ReferenceLosses(int steps)
    {
        var d = FashionMnist.Load(DataDir);
        var x = d.Train.Inputs.Data.ToArray();
        for (int i = 0; i < x.Length; i++) x[i] = 2 * x[i] - 1;
        var tr = new DdpmTrainer(DdpmPresets.Get("tiny", 10), DdpmTrainingOptions.MainJob with { BatchSize = Batch, LearningRate = Lr, Seed = 0, MinSnrGamma = MinSnr },
            new Tensor(x, d.Train.Inputs.Shape), d.Train.Labels);
        tr.Train(steps);
        return tr.Losses.ToArray();
    }

    static Process Start(string outDir, bool resume)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(Bin, "Nabla.Cli.dll"), "ddpm", "train", "--preset", "tiny", "--steps", $"{Steps}", "--batch", $"{Batch}",
                     "--checkpoint-every", "1", "--minutes", "0", "--min-snr", $"{MinSnr}", "--lr", Lr.ToString(System.Globalization.CultureInfo.InvariantCulture), "--samples-per-class", "1", "--data", DataDir, "--out", outDir })
            psi.ArgumentList.Add(a);
        if (resume) psi.ArgumentList.Add("--resume");
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine(); p.BeginErrorReadLine();
        return p;
    }

    static bool Writing(string dir) => Directory.Exists(dir) && Directory.EnumerateFiles(dir, ".checkpoint.safetensors.*.tmp").Any();

    static int CheckpointStep(string ck)
    {
        try { return File.Exists(ck) ? DdpmCheckpoint.Read(ck).Step : 0; }
        catch (IOException) { return 0; }   // the rename raced the read: try again later
    }

    [Fact]
    public void SigkillAtRandomMomentsThenResumeGivesTheUninterruptedLosses()
    {
        var reference = ReferenceLosses(Steps);
        var dir = Directory.CreateTempSubdirectory("nabla-crash-");
        string outDir = Path.Combine(dir.FullName, "run"), ck = Path.Combine(outDir, DdpmCommand.CheckpointFile);
        var rng = new Random(42);
        var total = Stopwatch.StartNew();
        try
        {
            int kills = 0, duringWrite = 0, lastStep = 0;
            bool interrupted = false;
            for (int round = 0; round < 6 && lastStep < Steps - 1 && (round < 4 || duringWrite == 0); round++)
            {
                using var p = Start(outDir, File.Exists(ck));
                var sw = Stopwatch.StartNew();
                bool waitForWrite = round % 2 == 0;
                int target = lastStep + 1 + rng.Next(2);   // a step after the last checkpoint: every run makes progress
                // kill during the first checkpoint write after step target − 1 is saved, or at a random moment after target is
                while (!p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(60) && CheckpointStep(ck) < (waitForWrite ? target - 1 : target)) Thread.Sleep(5);
                if (waitForWrite) while (!p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(60) && !Writing(outDir)) Thread.Yield();
                else Thread.Sleep(rng.Next(0, 300));
                if (p.HasExited) break;
                if (round == 1)
                {
                    // Ctrl-C (SIGINT) instead: the run saves a checkpoint and exits 130
                    using (var k = Process.Start("kill", new[] { "-INT", p.Id.ToString() })) k.WaitForExit();
                    Assert.True(p.WaitForExit(60_000), "no exit after SIGINT");
                    Assert.Equal(Nabla.Cli.CliErrors.Interrupted, p.ExitCode);
                    interrupted = true;
                }
                else
                {
                    p.Kill();   // SIGKILL on Unix
                    p.WaitForExit();
                    kills++;
                    // a temporary file left behind: the kill landed inside a checkpoint write
                    if (Writing(outDir)) { duringWrite++; foreach (var f in Directory.EnumerateFiles(outDir, ".checkpoint.safetensors.*.tmp")) File.Delete(f); }
                }

                if (!File.Exists(ck)) { Assert.Equal(0, lastStep); continue; }   // killed inside the very first write
                var saved = DdpmCheckpoint.Read(ck);   // intact: reads, and its weights match its configuration
                Assert.True(saved.Step >= lastStep, $"round {round}: step went back from {lastStep} to {saved.Step}");
                Assert.Equal(reference[..saved.Step], saved.Losses);
                lastStep = saved.Step;
            }
            Assert.True(kills >= 2, $"only {kills} kills");
            Assert.True(interrupted, "the run ended before the Ctrl-C round");
            Assert.True(duringWrite >= 1, "no kill landed during a checkpoint write");

            // finish by resuming; the pictures afterwards are not part of the test
            using (var p = Start(outDir, resume: true))
            {
                var sw = Stopwatch.StartNew();
                while (!p.HasExited && CheckpointStep(ck) < Steps && sw.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(10);
                if (!p.HasExited) { p.Kill(); p.WaitForExit(); }
            }
            var final = DdpmCheckpoint.Read(ck);
            Assert.Equal(Steps, final.Step);
            Assert.Equal(reference, final.Losses);
        }
        finally { dir.Delete(true); }
    }

    /// <summary>A stream that accepts <c>limit</c> bytes, then fails as a full disk does.</summary>
    sealed class FullDiskStream(Stream inner, long limit) : Stream
    {
        long written;
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (written + buffer.Length > limit) throw new IOException("No space left on device");
            inner.Write(buffer); written += buffer.Length;
        }
        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => written;
        public override long Position { get => written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public void AFullDiskDuringACheckpointWriteLeavesThePreviousOneIntact()
    {
        var (x, y) = Nabla.Tests.Diffusion.DdpmTrainerTests.TinyData(16);
        var dir = Directory.CreateTempSubdirectory("nabla-full-");
        try
        {
            string ck = Path.Combine(dir.FullName, "checkpoint.safetensors");
            var tr = new DdpmTrainer(Nabla.Tests.Diffusion.DdpmTrainerTests.TinyConfig(), new DdpmTrainingOptions { BatchSize = 4, DiffusionSteps = 50, Seed = 3 }, x, y);
            tr.Train(2, checkpointPath: ck);
            var before = File.ReadAllBytes(ck);

            AtomicFile.StreamWrapper.Value = s => new FullDiskStream(s, before.Length / 2);
            IOException e;
            try { e = Assert.Throws<IOException>(() => tr.Train(4, checkpointPath: ck, checkpointEvery: 1)); }
            finally { AtomicFile.StreamWrapper.Value = null; }
            Assert.Contains(ck, e.Message);
            Assert.Contains("No space left on device", e.Message);
            Assert.Contains("previous file is unchanged", e.Message);
            Assert.Equal(before, File.ReadAllBytes(ck));
            Assert.Equal(2, DdpmCheckpoint.Read(ck).Step);
            Assert.Single(Directory.GetFiles(dir.FullName));   // the temporary file is gone

            // the CLI reports it as a runtime failure, naming the file
            var err = new StringWriter();
            Assert.Equal(Nabla.Cli.CliErrors.Failure, Nabla.Cli.CliErrors.Run("ddpm train", () => throw e, err));
            Assert.StartsWith($"nabla ddpm train: writing '{ck}' failed (No space left on device)", err.ToString());
        }
        finally { dir.Delete(true); }
    }
}
