using Nabla.Bench;

// dotnet run -c Release --project bench/Nabla.Bench -- NAME [args]
// Each workload prints JSON lines like ../shared/bench/ref/NAME.py, with "impl": "csharp".
var workloads = new Dictionary<string, Action<string[]>>(StringComparer.OrdinalIgnoreCase)
{
    ["gemm"] = GemmWorkload.Run,
    ["gmm"] = GmmWorkload.Run,
    ["ar"] = ArWorkload.Run,
    ["ddpm"] = DdpmWorkload.Run,
    ["mlp"] = MlpWorkload.Run,
    ["cnn"] = CnnWorkload.Run,
    ["vae"] = VaeWorkload.Run,
    ["unet"] = UNetWorkload.Run,
    ["peak"] = PeakWorkload.Run,
    ["allreduce"] = AllReduceWorkload.Run,  // under mpirun -np N
    ["ddpm-dp"] = DdpmParallelWorkload.Run,  // under mpirun -np N, or one process
    ["serve"] = ServeWorkload.Run,
    ["convprobe"] = ConvProbe.Run,  // hidden: per-shape conv timings
};
if (args.Length == 0 || !workloads.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: Nabla.Bench NAME [args]; NAME one of: {string.Join(", ", workloads.Keys)}");
    return 2;
}
// two threads, like the references (NABLA_THREADS overrides it, e.g. 1 per rank under mpirun)
Nabla.Kernels.WorkerPool.Threads = Environment.GetEnvironmentVariable("NABLA_THREADS") is { Length: > 0 } ? Nabla.Kernels.NablaSettings.Current.Threads : 2;
run(args[1..]);
return 0;
