namespace Nabla.IO;

/// <summary>Element types of the safetensors format that Nabla reads (all convert to float) and writes (F32, I64).</summary>
public enum SafeTensorDtype
{
    BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64,
}

static class SafeTensorDtypes
{
    static readonly SafeTensorDtype[] All = Enum.GetValues<SafeTensorDtype>();

    /// <summary>Bytes per element.</summary>
    public static int Size(SafeTensorDtype t) => t switch
    {
        SafeTensorDtype.BOOL or SafeTensorDtype.U8 or SafeTensorDtype.I8 => 1,
        SafeTensorDtype.I16 or SafeTensorDtype.U16 or SafeTensorDtype.F16 or SafeTensorDtype.BF16 => 2,
        SafeTensorDtype.I32 or SafeTensorDtype.U32 or SafeTensorDtype.F32 => 4,
        _ => 8,
    };

    public static bool IsInteger(SafeTensorDtype t) =>
        t is not (SafeTensorDtype.F16 or SafeTensorDtype.BF16 or SafeTensorDtype.F32 or SafeTensorDtype.F64);

    /// <summary>Parses the header's dtype code ("F32", "I64", …); false for unknown or unsupported codes.</summary>
    public static bool TryParse(string? code, out SafeTensorDtype t)
    {
        foreach (var v in All)
            if (string.Equals(v.ToString(), code, StringComparison.Ordinal)) { t = v; return true; }
        t = default;
        return false;
    }
}
