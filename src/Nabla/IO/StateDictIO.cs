using Nabla.NN;

namespace Nabla.IO;

public static partial class SafeTensors
{
    /// <summary>
    /// Saves a state dict: every tensor as F32, except the names in <paramref name="integerNames"/> which are
    /// rounded and stored as I64 (PyTorch's <c>num_batches_tracked</c>). Order is the dictionary's. Atomic.
    /// </summary>
    public static void SaveStateDict(string path, IReadOnlyDictionary<string, Tensor> state,
        IReadOnlySet<string>? integerNames = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = new SafeTensorWriter();
        foreach (var (name, t) in state)
        {
            if (integerNames is not null && integerNames.Contains(name))
            {
                var v = new long[t.Size];
                for (int i = 0; i < v.Length; i++) v[i] = (long)Math.Round((double)t.data[i]);
                w.AddInt64(name, v, t.shape);
            }
            else w.Add(name, t);
        }
        if (metadata is not null)
            foreach (var (k, v) in metadata) w.AddMetadata(k, v);
        w.Save(path);
    }

    /// <summary>Loads every tensor of a file as float32 (integers converted), by name in file order.</summary>
    public static Dictionary<string, Tensor> LoadStateDict(string path) => SafeTensorFile.Read(path).ReadAll();
}

/// <summary>Saving and loading a <see cref="Module"/>'s state dict as safetensors, compatible with PyTorch's key names.</summary>
public static class StateDictIO
{
    /// <summary>
    /// Saves <paramref name="module"/>'s parameters and buffers (PyTorch state-dict names and order); integer
    /// buffers (<see cref="Module.IntegerStateNames"/>) go in as I64. The write is atomic.
    /// </summary>
    public static void SaveSafetensors(this Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        SafeTensors.SaveStateDict(path, module.StateDict(), module.IntegerStateNames(), metadata);
    }

    /// <summary>
    /// Loads a safetensors file into <paramref name="module"/>. With <paramref name="strict"/>, the file's names must be
    /// exactly the module's; shapes must always agree. Returns the file's metadata.
    /// </summary>
    public static IReadOnlyDictionary<string, string> LoadSafetensors(this Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        var file = SafeTensorFile.Read(path);
        var own = module.StateDict();
        var state = new Dictionary<string, Tensor>(file.Count, StringComparer.Ordinal);
        foreach (var name in file.Names)
            if (strict || own.ContainsKey(name)) state[name] = file.GetTensor(name);
        try { module.LoadStateDict(state, strict); }
        catch (InvalidDataException ex) { throw new InvalidDataException($"{ex.Message} (file '{path}')", ex); }
        return file.Metadata;
    }
}
