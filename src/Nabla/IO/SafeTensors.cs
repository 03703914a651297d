namespace Nabla.IO;

/// <summary>Entry points for the safetensors format (PyTorch / Hugging Face weights files).</summary>
public static partial class SafeTensors
{
    /// <summary>Reads and validates a file (see <see cref="SafeTensorFile"/>).</summary>
    public static SafeTensorFile Read(string path) => SafeTensorFile.Read(path);

    /// <summary>
    /// Saves float tensors (F32), integer tensors (I64) and metadata to <paramref name="path"/>, atomically.
    /// </summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> floats,
        IEnumerable<(string Name, long[] Values, int[] Shape)>? integers = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(floats);
        var w = new SafeTensorWriter();
        foreach (var (name, t) in floats) w.Add(name, t);
        if (integers is not null)
            foreach (var (name, values, shape) in integers) w.AddInt64(name, values, shape);
        if (metadata is not null)
            foreach (var (k, v) in metadata) w.AddMetadata(k, v);
        w.Save(path);
    }
}
