using Nabla.Data;
using Nabla.Tests.Support;

namespace Nabla.Tests.Data;

/// <summary>Mutation fuzzing of the CSV and IDX readers (see <see cref="Mutations"/>): seeded, bounded in time.</summary>
public class ReaderFuzzTests
{
    static readonly TimeSpan Budget = TimeSpan.FromSeconds(4);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Csv(int seed)
    {
        var valid = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "iris.csv"));
        var (read, rejected) = Mutations.Run(valid, "iris.csv", p =>
        {
            var t = Nabla.Data.Csv.Read(p);
            _ = t.ToMatrix();
            _ = Nabla.Data.Csv.ReadHeader(p);
        }, 400, seed, Budget);
        Assert.True(rejected > 0, $"{read} read, none rejected");
    }

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 4)]
    public void Idx(bool gzip, int seed)
    {
        var dir = Directory.CreateTempSubdirectory("nabla-idx-");
        try
        {
            string path = Path.Combine(dir.FullName, "valid.idx");
            var values = Enumerable.Range(0, 5 * 7 * 6).Select(i => (byte)(i * 37)).ToArray();
            Nabla.Data.Idx.WriteUInt8(path, values, new[] { 5, 7, 6 }, gzip);
            var valid = File.ReadAllBytes(path);
            var (read, rejected) = Mutations.Run(valid, gzip ? "images-idx3-ubyte.gz" : "images-idx3-ubyte", p =>
            {
                var a = Nabla.Data.Idx.Read(p);
                _ = a.ToSingle(255f);
            }, 600, seed, Budget);
            Assert.True(rejected > 0, $"{read} read, none rejected");
        }
        finally { dir.Delete(true); }
    }
}
