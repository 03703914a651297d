using System.Diagnostics;
using System.Text;
using Nabla.IO;

namespace Nabla.Tests.Support;

/// <summary>
/// Seeded mutation fuzzing of a file reader: bit flips, truncations, huge counts written over integers (binary and
/// decimal), bad UTF-8, inserted and deleted bytes. Every mutant must either read or fail with a typed format
/// exception (<see cref="DataFormatException"/> or <see cref="InvalidDataException"/>) whose message names the file;
/// never another exception, a hang, or an allocation far beyond the file's size.
/// </summary>
internal static class Mutations
{
    public static byte[] Mutate(byte[] valid, Random rng)
    {
        var b = (byte[])valid.Clone();
        switch (rng.Next(7))
        {
            case 0:   // bit flips
                for (int n = rng.Next(1, 9); n > 0 && b.Length > 0; n--) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                return b;
            case 1:   // truncation
                return b[..rng.Next(b.Length)];
            case 2:   // a huge binary count over 4 or 8 bytes (little- or big-endian)
            {
                if (b.Length < 8) return b;
                int at = rng.Next(b.Length - 7);
                ulong v = new[] { 0xFFFF_FFFFUL, 0x7FFF_FFFFUL, 0x8000_0000UL, 1UL << 40, ulong.MaxValue, 1UL << 62 }[rng.Next(6)];
                var bytes = BitConverter.GetBytes(v);
                if (rng.Next(2) == 0) Array.Reverse(bytes);
                Array.Copy(bytes, 0, b, at, rng.Next(2) == 0 ? 4 : 8);
                return b;
            }
            case 3:   // a huge decimal number over a run of digits (JSON headers, CSV values, counts in text)
            {
                var digits = Enumerable.Range(0, b.Length).Where(i => b[i] >= '0' && b[i] <= '9').ToArray();
                if (digits.Length == 0) return b;
                int at = digits[rng.Next(digits.Length)], end = at;
                while (end < b.Length && b[end] >= '0' && b[end] <= '9') end++;
                var big = Encoding.ASCII.GetBytes(new[] { "99999999999999999999", "4294967296", "2147483648", "-1", "1e308", "18446744073709551615" }[rng.Next(6)]);
                return b[..at].Concat(big).Concat(b[end..]).ToArray();
            }
            case 4:   // bad UTF-8: a lone continuation byte, an invalid lead byte, an overlong encoding, a truncated sequence
            {
                var bad = new[] { new byte[] { 0x80 }, new byte[] { 0xFF, 0xFE }, new byte[] { 0xC0, 0xAF }, new byte[] { 0xE2, 0x82 }, new byte[] { 0xED, 0xA0, 0x80 } }[rng.Next(5)];
                int at = rng.Next(b.Length + 1);
                return b[..at].Concat(bad).Concat(b[at..]).ToArray();
            }
            case 5:   // bytes inserted
            {
                int at = rng.Next(b.Length + 1);
                var ins = new byte[rng.Next(1, 16)]; rng.NextBytes(ins);
                return b[..at].Concat(ins).Concat(b[at..]).ToArray();
            }
            default:  // a run deleted
            {
                if (b.Length == 0) return b;
                int at = rng.Next(b.Length), len = Math.Min(b.Length - at, rng.Next(1, 32));
                return b[..at].Concat(b[(at + len)..]).ToArray();
            }
        }
    }

    /// <summary>
    /// Reads <paramref name="count"/> mutants of <paramref name="valid"/> (at most <paramref name="budget"/> in all),
    /// each written to a file named <paramref name="fileName"/> in a fresh folder. Returns how many read and how many were rejected.
    /// </summary>
    public static (int Read, int Rejected) Run(byte[] valid, string fileName, Action<string> read, int count, int seed, TimeSpan budget,
        long allocationFactor = 32, long allocationSlack = 4 << 20)
    {
        var dir = Directory.CreateTempSubdirectory("nabla-fuzz-");
        try
        {
            string path = Path.Combine(dir.FullName, fileName);
            var rng = new Random(seed);
            var total = Stopwatch.StartNew();
            int ok = 0, rejected = 0;
            for (int i = 0; i < count && total.Elapsed < budget; i++)
            {
                var mutant = Mutate(valid, rng);
                File.WriteAllBytes(path, mutant);
                long before = GC.GetAllocatedBytesForCurrentThread();
                var one = Stopwatch.StartNew();
                try { read(path); ok++; }
                catch (Exception e) when (e is DataFormatException or InvalidDataException)
                {
                    Assert.True(e.Message.Contains(path), $"mutant {i} (seed {seed}): the message does not name the file: {e.Message}");
                    rejected++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"mutant {i} (seed {seed}, {mutant.Length} bytes): {e.GetType().Name} instead of a format error: {e.Message}\n{e.StackTrace}");
                }
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated <= allocationFactor * mutant.Length + allocationSlack,
                    $"mutant {i} (seed {seed}): {allocated:N0} bytes allocated for a {mutant.Length:N0}-byte file");
                Assert.True(one.Elapsed < TimeSpan.FromSeconds(5), $"mutant {i} (seed {seed}): {one.Elapsed.TotalSeconds:F1} s");
            }
            Assert.True(ok + rejected > 0);
            return (ok, rejected);
        }
        finally { dir.Delete(recursive: true); }
    }
}
