using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>
/// A float vector of one width, for loops written once and run at every width (the operator-struct pattern of
/// TensorPrimitives): <see cref="F512"/> (16 lanes), <see cref="F256"/> (8) and <see cref="F1"/> (one lane, the
/// scalar tail). A kernel is a generic method over <c>TV : IFloatVector&lt;TV&gt;</c>; the JIT compiles one copy per
/// width, with the vector operations inlined. <see cref="FloatVectors.Run{TOp}"/> runs such a loop over a span at
/// the widest accelerated width, then narrower widths for the rest.
/// </summary>
internal interface IFloatVector<TV> where TV : struct, IFloatVector<TV>
{
    static abstract int Count { get; }
    static abstract bool IsHardwareAccelerated { get; }
    static abstract TV Create(float x);
    static abstract TV Load(ReadOnlySpan<float> s);
    static abstract void Store(TV v, Span<float> s);
    static abstract TV operator +(TV a, TV b);
    static abstract TV operator -(TV a, TV b);
    static abstract TV operator *(TV a, TV b);
    static abstract TV operator /(TV a, TV b);
    static abstract TV operator -(TV a);
    /// <summary>a·b + c, rounded once.</summary>
    static abstract TV Fma(TV a, TV b, TV c);
    static abstract TV Max(TV a, TV b);
    static abstract TV Sqrt(TV a);
    static abstract TV Exp(TV a);
}

internal readonly struct F512(Vector512<float> v) : IFloatVector<F512>
{
    readonly Vector512<float> v = v;
    public static int Count => Vector512<float>.Count;
    public static bool IsHardwareAccelerated => Vector512.IsHardwareAccelerated;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Create(float x) => new(Vector512.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Load(ReadOnlySpan<float> s) => new(Vector512.Create(s));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(F512 a, Span<float> s) => a.v.CopyTo(s);
    public static F512 operator +(F512 a, F512 b) => new(a.v + b.v);
    public static F512 operator -(F512 a, F512 b) => new(a.v - b.v);
    public static F512 operator *(F512 a, F512 b) => new(a.v * b.v);
    public static F512 operator /(F512 a, F512 b) => new(a.v / b.v);
    public static F512 operator -(F512 a) => new(-a.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Fma(F512 a, F512 b, F512 c) => new(Vector512.FusedMultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Max(F512 a, F512 b) => new(Vector512.Max(a.v, b.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Sqrt(F512 a) => new(Vector512.Sqrt(a.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Exp(F512 a) => new(Vector512.Exp(a.v));
}

internal readonly struct F256(Vector256<float> v) : IFloatVector<F256>
{
    readonly Vector256<float> v = v;
    public static int Count => Vector256<float>.Count;
    public static bool IsHardwareAccelerated => Vector256.IsHardwareAccelerated;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Create(float x) => new(Vector256.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Load(ReadOnlySpan<float> s) => new(Vector256.Create(s));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(F256 a, Span<float> s) => a.v.CopyTo(s);
    public static F256 operator +(F256 a, F256 b) => new(a.v + b.v);
    public static F256 operator -(F256 a, F256 b) => new(a.v - b.v);
    public static F256 operator *(F256 a, F256 b) => new(a.v * b.v);
    public static F256 operator /(F256 a, F256 b) => new(a.v / b.v);
    public static F256 operator -(F256 a) => new(-a.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Fma(F256 a, F256 b, F256 c) => new(Vector256.FusedMultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Max(F256 a, F256 b) => new(Vector256.Max(a.v, b.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Sqrt(F256 a) => new(Vector256.Sqrt(a.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Exp(F256 a) => new(Vector256.Exp(a.v));
}

/// <summary>One lane: the scalar tail of a vector loop, with the same operations (fused multiply-add included).</summary>
internal readonly struct F1(float v) : IFloatVector<F1>
{
    readonly float v = v;
    public static int Count => 1;
    public static bool IsHardwareAccelerated => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Create(float x) => new(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Load(ReadOnlySpan<float> s) => new(s[0]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(F1 a, Span<float> s) => s[0] = a.v;
    public static F1 operator +(F1 a, F1 b) => new(a.v + b.v);
    public static F1 operator -(F1 a, F1 b) => new(a.v - b.v);
    public static F1 operator *(F1 a, F1 b) => new(a.v * b.v);
    public static F1 operator /(F1 a, F1 b) => new(a.v / b.v);
    public static F1 operator -(F1 a) => new(-a.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Fma(F1 a, F1 b, F1 c) => new(MathF.FusedMultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Max(F1 a, F1 b) => new(MathF.Max(a.v, b.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Sqrt(F1 a) => new(MathF.Sqrt(a.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Exp(F1 a) => new(MathF.Exp(a.v));
}

/// <summary>An element-wise loop body over a range of lanes, written once for every width.</summary>
internal interface IVectorLoop
{
    /// <summary>Processes elements [i, i + TV.Count).</summary>
    void Invoke<TV>(int i) where TV : struct, IFloatVector<TV>;
}

internal static class FloatVectors
{
    /// <summary>Runs <paramref name="op"/> over [0, n): 16 lanes at a time where 512-bit vectors are native, then 8, then one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TOp>(ref TOp op, int n) where TOp : struct, IVectorLoop, allows ref struct
    {
        int i = 0;
        if (F512.IsHardwareAccelerated) for (; i <= n - 16; i += 16) op.Invoke<F512>(i);
        if (F256.IsHardwareAccelerated) for (; i <= n - 8; i += 8) op.Invoke<F256>(i);
        for (; i < n; i++) op.Invoke<F1>(i);
    }
}
