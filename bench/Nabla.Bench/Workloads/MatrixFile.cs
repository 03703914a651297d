namespace Nabla.Bench;

/// <summary>Reads the reference benchmarks' matrix files: little-endian int64 rows, int64 cols, then row-major float64.</summary>
public static class MatrixFile
{
    public static double[,] Read(string path)
    {
        using var f = File.OpenRead(path);
        using var r = new BinaryReader(f);
        long rows = r.ReadInt64(), cols = r.ReadInt64();
        if (rows < 0 || cols < 0 || rows * cols * 8 != f.Length - 16)
            throw new InvalidDataException($"{path}: header says {rows}×{cols} doubles but the file holds {f.Length - 16} bytes of data");
        var m = new double[rows, cols];
        var bytes = r.ReadBytes((int)(rows * cols * 8));
        Buffer.BlockCopy(bytes, 0, m, 0, bytes.Length);
        return m;
    }

    public static string DataPath(string[] args, string name)
    {
        for (int i = 0; i < args.Length - 1; i++) if (args[i] == "--data") return args[i + 1];
        var dir = Environment.GetEnvironmentVariable("BENCH_DATA");
        return Path.Combine(string.IsNullOrEmpty(dir) ? "/tmp/bench-data" : dir, name + ".bin");
    }
}
