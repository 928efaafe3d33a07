namespace Symmetry.Bench;

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Symmetry.Torch;
using Torch = Symmetry.Torch.Torch;

/// <summary><c>op-profile</c> (opt-in, not part of the default run): where the time of one <c>op-overhead</c> op goes,
/// layer by layer — a raw P/Invoke, the shim's add and free called through raw function pointers (no SafeHandle),
/// SafeHandle/Tensor allocation, and the binding with different scope patterns. Prints <c>profile:</c> lines in ns/op.
/// The native-only layer (libtorch's add called from C++) is bench/native/op_add.cpp.</summary>
internal static unsafe class OpProfile
{
    public const string Name = "op-profile";
    private const int Iterations = 50_000;
    private const int Rounds = 15;
    private static readonly List<(string What, Action<int> Body)> Variants = [];

    public static void Run(int threads)
    {
        _ = Torch.ThreadCount; // loads the shim through the binding's resolver first
        var path = Path.Combine(Path.GetDirectoryName(typeof(Torch).Assembly.Location)!, "libsymm_native.so");
        var library = NativeLibrary.Load(path);
        var liveTensors = (delegate* unmanaged<long>)NativeLibrary.GetExport(library, "symm_live_tensors");
        var liveTensorsNoTransition = (delegate* unmanaged[SuppressGCTransition]<long>)NativeLibrary.GetExport(library, "symm_live_tensors");
        var full = (delegate* unmanaged<long*, int, double, int, int, int, IntPtr*, int>)NativeLibrary.GetExport(library, "symm_tensor_full");
        var binary = (delegate* unmanaged<int, IntPtr, IntPtr, int, IntPtr*, int>)NativeLibrary.GetExport(library, "symm_tensor_binary");
        var binaryNoTransition = (delegate* unmanaged[SuppressGCTransition]<int, IntPtr, IntPtr, int, IntPtr*, int>)NativeLibrary.GetExport(library, "symm_tensor_binary");
        var alias = (delegate* unmanaged<IntPtr, IntPtr*, int>)NativeLibrary.GetExport(library, "symm_tensor_alias");
        var free = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(library, "symm_tensor_free");
        var freeNoTransition = (delegate* unmanaged[SuppressGCTransition]<IntPtr, void>)NativeLibrary.GetExport(library, "symm_tensor_free");

        long* shape = stackalloc long[] { 8, 8 };
        IntPtr made;
        const int Float32 = 6, Cpu = 0; // libtorch's ScalarType::Float; the shim's CPU device code
        Check(full(shape, 2, 0.5, Float32, Cpu, 0, &made));
        var ra = made;
        Check(full(shape, 2, 0.25, Float32, Cpu, 0, &made));
        var rb = made;

        Add("P/Invoke no-op (symm_live_tensors)", n => { for (var i = 0; i < n; i++) _ = liveTensors(); });
        Add("P/Invoke no-op, SuppressGCTransition", n => { for (var i = 0; i < n; i++) _ = liveTensorsNoTransition(); });
        Add("shim add+free, raw pointers", n =>
        {
            IntPtr c;
            for (var i = 0; i < n; i++) { Check(binary(0, ra, rb, 0, &c)); free(c); }
        });
        Add("shim add+free, raw, SuppressGCTransition", n =>
        {
            IntPtr c;
            for (var i = 0; i < n; i++) { Check(binaryNoTransition(0, ra, rb, 0, &c)); freeNoTransition(c); }
        });
        Add("shim alias+free, raw pointers", n =>
        {
            IntPtr c;
            for (var i = 0; i < n; i++) { Check(alias(ra, &c)); free(c); }
        });
        Lean.Free = free;
        Add("lean wrapper alias+Dispose (plain class)", n =>
        {
            IntPtr c;
            for (var i = 0; i < n; i++) { Check(alias(ra, &c)); using var t = new Lean(c); }
        });
        Add("lean wrapper alias+Dispose (with finalizer)", n =>
        {
            IntPtr c;
            for (var i = 0; i < n; i++) { Check(alias(ra, &c)); using var t = new FinalizableLean(c); }
        });
        Add("lean wrapper add+Dispose (plain class)", n =>
        {
            IntPtr c;
            for (var i = 0; i < n; i++) { Check(binary(0, ra, rb, 0, &c)); using var t = new Lean(c); }
        });
        Add("SafeHandle alloc+Dispose (no native call)", n => { for (var i = 0; i < n; i++) new DummyHandle().Dispose(); });

        // No scope is open here: the caller owns a and b.
        using var a = Torch.Full([8, 8], 0.5);
        using var b = Torch.Full([8, 8], 0.25);
        Add("binding a.Alias(), using/Dispose, no scope", n => { for (var i = 0; i < n; i++) { using var c = a.Alias(); } });
        Add("binding a.Alias(), scope per 100 ops", n =>
        {
            for (var done = 0; done < n; done += 100)
            {
                using var s = Torch.NewScope();
                for (var i = 0; i < 100; i++) _ = a.Alias();
            }
        });
        Add("binding a+b, using/Dispose, no scope", n => { for (var i = 0; i < n; i++) { using var c = a + b; } });
        Add("binding a+b, scope per 100 ops (bench)", n =>
        {
            for (var done = 0; done < n; done += 100)
            {
                using var s = Torch.NewScope();
                for (var i = 0; i < 100; i++) _ = a + b;
            }
        });
        Add("binding a+b, one scope per op", n =>
        {
            for (var i = 0; i < n; i++) { using var s = Torch.NewScope(); _ = a + b; }
        });
        Add("binding a+b, using/Dispose in one long scope", n =>
        {
            using var s = Torch.NewScope();
            for (var i = 0; i < n; i++) { using var c = a + b; }
        });
        Measure();
        free(ra);
        free(rb);
        Console.WriteLine($"profile: GC counts so far gen0/1/2 = {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
    }

    private static void Add(string what, Action<int> body) => Variants.Add((what, body));

    /// <summary>Runs the variants round-robin, <see cref="Rounds"/> chunks of <see cref="Iterations"/> each, so that
    /// all of them see the same machine load, and prints per variant the median wall time, CPU time of this thread
    /// and CPU time of the process (both far less disturbed than wall time when other processes share the cores).</summary>
    private static void Measure()
    {
        foreach (var (_, body) in Variants) body(Iterations);
        var wall = Variants.Select(_ => new double[Rounds]).ToArray();
        var cpu = Variants.Select(_ => new double[Rounds]).ToArray();
        var processCpu = Variants.Select(_ => new double[Rounds]).ToArray();
        for (var r = 0; r < Rounds; r++)
            for (var v = 0; v < Variants.Count; v++)
            {
                var processStart = Harness.ProcessCpuSeconds();
                var cpuStart = Harness.ThreadCpuSeconds();
                var stopwatch = Stopwatch.StartNew();
                Variants[v].Body(Iterations);
                wall[v][r] = stopwatch.Elapsed.TotalSeconds / Iterations * 1e9;
                cpu[v][r] = (Harness.ThreadCpuSeconds() - cpuStart) / Iterations * 1e9;
                processCpu[v][r] = (Harness.ProcessCpuSeconds() - processStart) / Iterations * 1e9;
            }
        for (var v = 0; v < Variants.Count; v++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"profile: {Variants[v].What,-46} wall {Harness.Median(wall[v]),7:0.0} ns/op  thread-cpu {Harness.Median(cpu[v]),7:0.0} (min {cpu[v].Min(),7:0.0})  process-cpu {Harness.Median(processCpu[v]),7:0.0}"));
        Variants.Clear();
    }

    private static void Check(int status)
    {
        if (status != 0) throw new InvalidOperationException($"shim status {status}");
    }

    /// <summary>What a tensor wrapper without SafeHandle and without finalizer would cost: one object, one free.</summary>
    private sealed class Lean(IntPtr pointer) : IDisposable
    {
        public static delegate* unmanaged<IntPtr, void> Free;
        private IntPtr pointer = pointer;

        public void Dispose()
        {
            if (pointer == IntPtr.Zero) return;
            Free(pointer);
            pointer = IntPtr.Zero;
        }
    }

    /// <summary><see cref="Lean"/> plus a (leak-counting) finalizer, suppressed on Dispose.</summary>
    private sealed class FinalizableLean(IntPtr pointer) : IDisposable
    {
        private IntPtr pointer = pointer;

        ~FinalizableLean() { }

        public void Dispose()
        {
            if (pointer == IntPtr.Zero) return;
            Lean.Free(pointer);
            pointer = IntPtr.Zero;
            GC.SuppressFinalize(this);
        }
    }

    private sealed class DummyHandle : SafeHandle
    {
        public DummyHandle() : base(IntPtr.Zero, ownsHandle: true) => SetHandle(1);
        public override bool IsInvalid => handle == IntPtr.Zero;
        protected override bool ReleaseHandle() => true;
    }
}
