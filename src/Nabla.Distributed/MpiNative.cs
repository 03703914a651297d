using System.Runtime.InteropServices;

namespace Nabla.Distributed;

/// <summary>Thrown when MPI is asked for but cannot be used: the message says what to install or how to start the program.</summary>
public sealed class MpiUnavailableException : Exception
{
    public MpiUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// The few libmpi entry points data-parallel training needs, bound at run time (NativeLibrary), so nothing native is
/// needed until MPI is used. Open MPI's C ABI passes handles as pointers to its predefined objects: MPI_COMM_WORLD is
/// &amp;ompi_mpi_comm_world, MPI_FLOAT &amp;ompi_mpi_float, MPI_SUM &amp;ompi_mpi_op_sum (mpi.h), so the handles are
/// the addresses of those exported symbols. MPICH-family libraries use integer handles and are not supported.
/// </summary>
internal sealed unsafe class MpiNative
{
    public const int Success = 0, ThreadFunneled = 1;
    public static readonly IntPtr InPlace = 1;   // MPI_IN_PLACE is ((void *) 1) in Open MPI's mpi.h

    /// <summary>Library names tried in order after $NABLA_MPI_LIBRARY: Debian/Ubuntu's Open MPI 4 (libopenmpi3), the unversioned name, macOS.</summary>
    public static readonly string[] LibraryNames = { "libmpi.so.40", "libmpi.so", "libmpi.40.dylib", "libmpi.dylib" };

    public readonly string LibraryName;
    public readonly IntPtr CommWorld, Float, Byte, OpSum;
    readonly delegate* unmanaged<int*, IntPtr, int, int*, int> initThread;
    readonly delegate* unmanaged<int*, int> initialized, finalized;
    readonly delegate* unmanaged<int> finalize;
    readonly delegate* unmanaged<IntPtr, int*, int> commRank, commSize;
    readonly delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int> bcast;
    readonly delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int> allreduce;
    readonly delegate* unmanaged<IntPtr, int> barrier;
    readonly delegate* unmanaged<IntPtr, int, int> abort;
    readonly delegate* unmanaged<int, byte*, int*, int> errorString;
    readonly delegate* unmanaged<byte*, int*, int> processorName;

    MpiNative(IntPtr lib, string name)
    {
        LibraryName = name;
        IntPtr Sym(string s) => NativeLibrary.TryGetExport(lib, s, out var p) ? p
            : throw new MpiUnavailableException($"{name} has no symbol '{s}': Nabla needs Open MPI (4.x or later; Debian/Ubuntu: apt-get install openmpi-bin libopenmpi3), not another MPI");
        CommWorld = Sym("ompi_mpi_comm_world"); Float = Sym("ompi_mpi_float"); Byte = Sym("ompi_mpi_byte"); OpSum = Sym("ompi_mpi_op_sum");
        initThread = (delegate* unmanaged<int*, IntPtr, int, int*, int>)Sym("MPI_Init_thread");
        initialized = (delegate* unmanaged<int*, int>)Sym("MPI_Initialized");
        finalized = (delegate* unmanaged<int*, int>)Sym("MPI_Finalized");
        finalize = (delegate* unmanaged<int>)Sym("MPI_Finalize");
        commRank = (delegate* unmanaged<IntPtr, int*, int>)Sym("MPI_Comm_rank");
        commSize = (delegate* unmanaged<IntPtr, int*, int>)Sym("MPI_Comm_size");
        bcast = (delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int>)Sym("MPI_Bcast");
        allreduce = (delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int>)Sym("MPI_Allreduce");
        barrier = (delegate* unmanaged<IntPtr, int>)Sym("MPI_Barrier");
        abort = (delegate* unmanaged<IntPtr, int, int>)Sym("MPI_Abort");
        errorString = (delegate* unmanaged<int, byte*, int*, int>)Sym("MPI_Error_string");
        processorName = (delegate* unmanaged<byte*, int*, int>)Sym("MPI_Get_processor_name");
    }

    /// <summary>Loads libmpi (globally, so Open MPI's plugins find its symbols) or throws <see cref="MpiUnavailableException"/> saying what to install.</summary>
    public static MpiNative Load()
    {
        var explicitName = Environment.GetEnvironmentVariable("NABLA_MPI_LIBRARY");
        return string.IsNullOrEmpty(explicitName) ? Load(LibraryNames, null) : Load(new[] { explicitName }, explicitName);
    }

    internal static MpiNative Load(IReadOnlyList<string> names, string? explicitName)
    {
        foreach (var name in names)
        {
            // Open MPI dlopens its components (btl, pml, …), which resolve symbols of libmpi and its libraries:
            // load it RTLD_GLOBAL first (as mpi4py does), then take the handle through NativeLibrary.
            if (OperatingSystem.IsLinux()) DlOpenGlobal(name);
            if (NativeLibrary.TryLoad(name, out var lib)) return new MpiNative(lib, name);
        }
        throw new MpiUnavailableException(explicitName == null
            ? $"Open MPI's library (tried {string.Join(", ", names)}) was not found: install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi3; macOS: brew install open-mpi), or set NABLA_MPI_LIBRARY to the path of libmpi"
            : $"NABLA_MPI_LIBRARY='{explicitName}' could not be loaded: set it to the path of Open MPI's libmpi (e.g. /usr/lib/x86_64-linux-gnu/libmpi.so.40)");
    }

    const int RtldNow = 2, RtldGlobal = 0x100;
    [DllImport("libc.so.6", EntryPoint = "dlopen")] static extern IntPtr DlOpenLibc([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int flags);
    static void DlOpenGlobal(string name)
    {
        try { DlOpenLibc(name, RtldNow | RtldGlobal); } catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    public void Check(int rc, string call)
    {
        if (rc == Success) return;
        var buf = stackalloc byte[256]; int len = 0;
        string text = errorString(rc, buf, &len) == Success ? System.Text.Encoding.ASCII.GetString(buf, Math.Clamp(len, 0, 256)) : $"error {rc}";
        throw new InvalidOperationException($"{call} failed: {text}");
    }

    public bool IsInitialized { get { int f; Check(initialized(&f), "MPI_Initialized"); return f != 0; } }
    public bool IsFinalized { get { int f; Check(finalized(&f), "MPI_Finalized"); return f != 0; } }
    public int InitThread(int required) { int provided; Check(initThread(null, IntPtr.Zero, required, &provided), "MPI_Init_thread"); return provided; }
    public void Finalize() => Check(finalize(), "MPI_Finalize");
    public int Rank { get { int r; Check(commRank(CommWorld, &r), "MPI_Comm_rank"); return r; } }
    public int Size { get { int r; Check(commSize(CommWorld, &r), "MPI_Comm_size"); return r; } }
    public void Bcast(void* buf, int count, IntPtr type, int root) => Check(bcast(buf, count, type, root, CommWorld), "MPI_Bcast");
    public void AllReduceInPlace(void* buf, int count, IntPtr type, IntPtr op) => Check(allreduce((void*)InPlace, buf, count, type, op, CommWorld), "MPI_Allreduce");
    public void Barrier() => Check(barrier(CommWorld), "MPI_Barrier");
    public void Abort(int code) => abort(CommWorld, code);
    public string ProcessorName { get { var buf = stackalloc byte[256]; int len = 0; return processorName(buf, &len) == Success ? System.Text.Encoding.ASCII.GetString(buf, Math.Clamp(len, 0, 256)) : "?"; } }
}
