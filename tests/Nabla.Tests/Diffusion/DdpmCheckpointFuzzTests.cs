using System.Text;
using Nabla.Diffusion;
using Nabla.IO;
using Nabla.Tests.Support;

namespace Nabla.Tests.Diffusion;

/// <summary>
/// Mutation fuzzing of the DDPM checkpoint reader: the configuration JSON in its metadata (mutated, then written back
/// as a well-formed safetensors file) and the file's bytes themselves. Seeded, bounded in time.
/// </summary>
public class DdpmCheckpointFuzzTests
{
    static byte[] ValidCheckpoint(string dir)
    {
        var (x, y) = DdpmTrainerTests.TinyData(16);
        var tr = new DdpmTrainer(DdpmTrainerTests.TinyConfig(), new DdpmTrainingOptions { BatchSize = 4, DiffusionSteps = 50, Seed = 1 }, x, y);
        string path = Path.Combine(dir, "checkpoint.safetensors");
        tr.Train(2, checkpointPath: path);
        return File.ReadAllBytes(path);
    }

    [Theory]
    [InlineData("unet_config", 7)]
    [InlineData("training_options", 8)]
    public void ConfigJson(string field, int seed)
    {
        var dir = Directory.CreateTempSubdirectory("nabla-ck-");
        try
        {
            var valid = ValidCheckpoint(dir.FullName);
            var src = SafeTensorFile.Read(valid);
            var tensors = src.ReadAll();
            var json = Encoding.UTF8.GetBytes(src.Metadata[field]);
            var rng = new Random(seed);
            string path = Path.Combine(dir.FullName, "mutant.safetensors");
            int rejected = 0;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < 150 && sw.Elapsed < TimeSpan.FromSeconds(5); i++)
            {
                var w = new SafeTensorWriter();
                foreach (var (k, t) in tensors) w.Add(k, t);
                foreach (var (k, v) in src.Metadata) w.AddMetadata(k, k == field ? Encoding.UTF8.GetString(Mutations.Mutate(json, rng)) : v);
                w.Save(path);
                long before = GC.GetAllocatedBytesForCurrentThread();
                try { DdpmCheckpoint.Read(path).BuildModel(); }
                catch (InvalidDataException e) { Assert.Contains(path, e.Message); rejected++; }
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated < 16L * valid.Length + (8 << 20), $"mutant {i}: {allocated:N0} bytes for a {valid.Length:N0}-byte file");
            }
            Assert.True(rejected > 0);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void FileBytes()
    {
        var dir = Directory.CreateTempSubdirectory("nabla-ck-");
        try
        {
            var valid = ValidCheckpoint(dir.FullName);
            var (read, rejected) = Mutations.Run(valid, "checkpoint.safetensors", p => DdpmCheckpoint.Read(p).BuildModel(), 200, 9,
                TimeSpan.FromSeconds(5), allocationFactor: 16, allocationSlack: 8 << 20);
            Assert.True(rejected > 0, $"{read} read, none rejected");
        }
        finally { dir.Delete(true); }
    }
}
