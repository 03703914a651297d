namespace Nabla.IO;

/// <summary>
/// Crash-safe file replacement: the content goes to a temporary file in the target's folder, is flushed to
/// disk, then renamed over the target. A reader sees either the old file or the complete new one, never a
/// half-written checkpoint. Every checkpoint writer in Nabla goes through here.
/// </summary>
public static class AtomicFile
{
    /// <summary>Tests only: wraps the temporary file's stream (a stream that fails like a full disk), for this async flow.</summary>
    internal static readonly AsyncLocal<Func<Stream, Stream>?> StreamWrapper = new();

    /// <summary>Writes the file by calling <paramref name="write"/> on a stream to a temporary file, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var wrap = StreamWrapper.Value;
                var s = wrap == null ? fs : wrap(fs);
                write(s);
                s.Flush();
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            // a full disk or a failing device: say which file, and that the old one still stands
            if (e.GetType() == typeof(IOException))
                throw new IOException($"writing '{full}' failed ({e.Message}); {(File.Exists(full) ? "the previous file is unchanged" : "nothing was written")}", e);
            throw;
        }
    }

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, s => s.Write(bytes));
    }

    /// <summary>Atomically replaces <paramref name="path"/> with UTF-8 <paramref name="text"/>.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => { var b = System.Text.Encoding.UTF8.GetBytes(text); s.Write(b); });
}
