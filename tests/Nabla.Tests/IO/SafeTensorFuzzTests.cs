using Nabla.IO;
using Nabla.Tests.Support;

namespace Nabla.Tests.IO;

/// <summary>Mutation fuzzing of the safetensors reader (see <see cref="Mutations"/>): seeded, bounded in time.</summary>
public class SafeTensorFuzzTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    public void SafeTensors(int seed)
    {
        var dir = Directory.CreateTempSubdirectory("nabla-st-");
        try
        {
            string path = Path.Combine(dir.FullName, "valid.safetensors");
            var g = new Generator(1);
            new SafeTensorWriter()
                .Add("conv.weight", Tensor.Randn(g, 4, 3, 3, 3))
                .Add("conv.bias", Tensor.Randn(g, 4))
                .Add("scalar", Tensor.Randn(g, 1))
                .AddInt64("steps", new long[] { 1, 2, 3 }, 3)
                .AddMetadata("format", "pt").AddMetadata("note", "température, ∇")
                .Save(path);
            var valid = File.ReadAllBytes(path);
            var (read, rejected) = Mutations.Run(valid, "model.safetensors", p =>
            {
                var f = SafeTensorFile.Read(p);
                foreach (var (_, t) in f.ReadAll()) _ = t.Size;
                if (f.Contains("steps") && f.Dtype("steps") == SafeTensorDtype.I64) _ = f.GetInt64("steps");
                _ = f.Metadata.Count;
            }, 800, seed, TimeSpan.FromSeconds(4));
            Assert.True(rejected > 0, $"{read} read, none rejected");
        }
        finally { dir.Delete(true); }
    }
}
