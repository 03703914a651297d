namespace Nabla.NN;

/// <summary>Modules applied in order; children are named "0", "1", … as in PyTorch.</summary>
public sealed class Sequential : Module
{
    readonly List<Module> layers = new();
    public Sequential(params Module[] modules) { foreach (var m in modules) Add(m); }
    public Sequential Add(Module m) { RegisterModule(layers.Count.ToString(), m); layers.Add(m); return this; }
    public int Count => layers.Count;
    public Module this[int i] => layers[i];
    public override Tensor Forward(Tensor x) { foreach (var m in layers) x = m.Forward(x); return x; }
}

/// <summary>A list of submodules named "0", "1", … (PyTorch's nn.ModuleList); has no Forward of its own.</summary>
public sealed class ModuleList : Module, IEnumerable<Module>
{
    readonly List<Module> items = new();
    public ModuleList(params Module[] modules) { foreach (var m in modules) Add(m); }
    public ModuleList Add(Module m) { RegisterModule(items.Count.ToString(), m); items.Add(m); return this; }
    public int Count => items.Count;
    public Module this[int i] => items[i];
    public IEnumerator<Module> GetEnumerator() => items.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
