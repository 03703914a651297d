namespace Nabla.IO;

/// <summary>
/// An untrusted input file that breaks its format (safetensors, IDX, …), naming the file and the field at fault.
/// Derives from <see cref="IOException"/> (<see cref="InvalidDataException"/> is sealed), so one
/// <c>catch (IOException)</c> covers both unreadable and malformed files.
/// </summary>
public class DataFormatException : IOException
{
    /// <summary>The file path, or a description of the source ("&lt;stream&gt;", "&lt;bytes&gt;").</summary>
    public string FileName { get; }
    /// <summary>The field or tensor at fault ("header length", "tensor 'fc.weight'.shape", …), when known.</summary>
    public string? Field { get; }

    public DataFormatException(string format, string fileName, string? field, string message, Exception? inner = null)
        : base($"{format} '{fileName}'{(field is null ? "" : $", {field}")}: {message}", inner)
    {
        FileName = fileName;
        Field = field;
    }
}

/// <summary>
/// A safetensors file (or buffer) that breaks the format: thrown before any allocation the header asks for,
/// naming the file and the offending field or tensor.
/// </summary>
public sealed class SafeTensorsFormatException : DataFormatException
{
    public SafeTensorsFormatException(string fileName, string? field, string message, Exception? inner = null)
        : base("safetensors", fileName, field, message, inner) { }
}
