using System.Buffers.Binary;
using System.Diagnostics;
using Nabla.Data;
using Nabla.IO;
using Nabla.Models;
using Nabla.Optim;
using Nabla.Tests.Models;
using Nabla.Tests.Support;

namespace Nabla.Tests.Distributed;

/// <summary>`nabla mlp train` under `mpirun -np 2`: equal to one process computing both ranks' shards.</summary>
public class MpiEpochTrainerTests
{
    const int Images = 320, Batch = 32;   // 288 training images (the last 32 evaluate): 4 global batches of 64 and one of 32
    const ulong Seed = 5;
    static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "Nabla.Cli.dll");

    /// <summary>A test-split-only IDX folder of the first <see cref="Images"/> embedded images (the CLI holds out the last tenth).</summary>
    static void WriteIdx(string dir)
    {
        var d = ModelTestData.Images(Images);
        var x = d.Inputs.ToArray();
        var img = new byte[16 + x.Length];
        foreach (var (at, v) in new[] { (0, 0x803), (4, Images), (8, 28), (12, 28) }) BinaryPrimitives.WriteInt32BigEndian(img.AsSpan(at), v);
        for (int i = 0; i < x.Length; i++) img[16 + i] = (byte)Math.Round(x[i] * 255);
        var lab = new byte[8 + Images];
        BinaryPrimitives.WriteInt32BigEndian(lab, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(lab.AsSpan(4), Images);
        for (int i = 0; i < Images; i++) lab[8 + i] = (byte)d.Labels[i];
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), img);
        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), lab);
    }

    [ProgramFact("mpirun", "apt-get install openmpi-bin")]
    public void MlpTrainOnTwoRanksEqualsOneProcessOverBothShards()
    {
        var dir = Directory.CreateTempSubdirectory("nabla-mpi-mlp-");
        try
        {
            string data = Path.Combine(dir.FullName, "data"), outDir = Path.Combine(dir.FullName, "out");
            Directory.CreateDirectory(data);
            WriteIdx(data);
            var psi = new ProcessStartInfo("mpirun")
            {
                Arguments = $"-np 2 --oversubscribe --mca btl self,vader -x NABLA_THREADS dotnet \"{Cli}\" mlp train --epochs 1 --batch {Batch} --seed {Seed} --data \"{data}\" --out \"{outDir}\"",
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
            psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
            psi.Environment["NABLA_THREADS"] = "1";
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(120_000)) { p.Kill(true); Assert.Fail($"mpirun did not finish in 120 s:\n{output}\n{err.Result}"); }
            output += err.Result;
            Assert.True(p.ExitCode == 0, output);
            Assert.Contains($"batch {Batch} per rank × 2 ranks = {2 * Batch}, 1 epoch(s) of 5 steps", output);
            Assert.Single(output.Split('\n'), l => l.StartsWith("test accuracy:"));   // rank 0 alone reports
            Assert.True(File.Exists(Path.Combine(outDir, "loss.png")), output);

            var set = FashionMnist.Load(data, flatten: true);
            var reference = EpochTrainer.ForClassifier("mlp", set.Train, set.Test, new EpochTrainerOptions { Epochs = 1, BatchSize = Batch, Seed = Seed })
                .UseDataParallel(new LocalDataParallel(2));
            Assert.Equal(5, reference.Train().Steps);
            var file = SafeTensorFile.Read(Path.Combine(outDir, "checkpoint.safetensors"));
            Assert.Equal("1", file.Metadata["epochs"]);
            var trained = Classifier.Create("mlp", new Generator(0));
            trained.LoadSafetensors(Path.Combine(outDir, "checkpoint.safetensors"));
            MpiDataParallelTests.AssertClose(reference.Model.StateDict(), trained.StateDict(), 1e-6);
        }
        finally { dir.Delete(true); }
    }
}
