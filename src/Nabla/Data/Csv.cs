using System.Globalization;

namespace Nabla.Data;

/// <summary>A CSV read with a header line: column names and the numeric values of the selected columns.</summary>
public sealed class CsvTable
{
    /// <summary>Where the table came from (a path), for messages.</summary>
    public string Source { get; }
    /// <summary>The selected column names, in order.</summary>
    public IReadOnlyList<string> Columns { get; }
    /// <summary>Number of data rows.</summary>
    public int Rows { get; }
    readonly double[][] values;

    internal CsvTable(string source, string[] columns, double[][] values, int rows)
    {
        Source = source; Columns = columns; this.values = values; Rows = rows;
    }

    /// <summary>The values of one column (a copy).</summary>
    public double[] Column(string name)
    {
        for (int c = 0; c < Columns.Count; c++) if (Columns[c] == name) return (double[])values[c].Clone();
        throw new ArgumentException($"{Source}: no column '{name}' (columns: {string.Join(", ", Columns)})", nameof(name));
    }

    /// <summary>The values of column c (a copy).</summary>
    public double[] Column(int c) => (double[])values[c].Clone();

    /// <summary>The columns as an n×d matrix (one row per CSV row).</summary>
    public double[,] ToMatrix()
    {
        var m = new double[Rows, Columns.Count];
        for (int c = 0; c < Columns.Count; c++)
            for (int r = 0; r < Rows; r++) m[r, c] = values[c][r];
        return m;
    }
}

/// <summary>
/// Reads comma-separated numeric data with a header line (RFC 4180 quoting; blank lines skipped).
/// Only the selected columns are converted, so other columns may hold text (dates, labels). A missing or
/// non-numeric value in a selected column is an error naming the line, the column and the value.
/// </summary>
public static class Csv
{
    /// <summary>Reads a file; <paramref name="columns"/> selects columns by name (null: all columns).</summary>
    public static CsvTable Read(string path, IReadOnlyList<string>? columns = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CSV file not found: {path}", path);
        using var r = new StreamReader(path);
        return Parse(r, path, columns);
    }

    /// <summary>The column names of a file's header line.</summary>
    public static string[] ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CSV file not found: {path}", path);
        using var r = new StreamReader(path);
        string? line;
        int lineNo = 0;
        while ((line = r.ReadLine()) != null)
        {
            lineNo++;
            if (line.Trim().Length > 0) return Split(line, path, lineNo).Select(h => h.Trim()).ToArray();
        }
        throw new InvalidDataException($"{path}: the file is empty (expected a header line of column names)");
    }

    /// <summary>Parses CSV text from a reader; <paramref name="source"/> names it in messages.</summary>
    public static CsvTable Parse(TextReader reader, string source, IReadOnlyList<string>? columns = null)
    {
        string? line;
        int lineNo = 0;
        string[]? header = null;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            header = Split(line, source, lineNo);
            break;
        }
        if (header == null) throw new InvalidDataException($"{source}: the file is empty (expected a header line of column names)");
        for (int i = 0; i < header.Length; i++) header[i] = header[i].Trim();
        for (int i = 0; i < header.Length; i++)
        {
            if (header[i].Length == 0) throw new InvalidDataException($"{source}: header column {i + 1} has no name");
            for (int j = 0; j < i; j++)
                if (header[j] == header[i]) throw new InvalidDataException($"{source}: the header names column '{header[i]}' twice");
        }
        int[] sel;
        if (columns == null) sel = Enumerable.Range(0, header.Length).ToArray();
        else
        {
            if (columns.Count == 0) throw new ArgumentException($"{source}: no columns selected", nameof(columns));
            sel = new int[columns.Count];
            for (int k = 0; k < columns.Count; k++)
            {
                sel[k] = Array.IndexOf(header, columns[k].Trim());
                if (sel[k] < 0) throw new ArgumentException($"{source}: no column '{columns[k]}' (columns: {string.Join(", ", header)})", nameof(columns));
            }
        }
        var cols = sel.Select(_ => new List<double>()).ToArray();
        int rows = 0;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            var f = Split(line, source, lineNo);
            if (f.Length != header.Length)
                throw new InvalidDataException($"{source}: line {lineNo} has {f.Length} fields, the header has {header.Length}");
            for (int k = 0; k < sel.Length; k++)
            {
                string s = f[sel[k]].Trim();
                string name = header[sel[k]];
                if (s.Length == 0)
                    throw new InvalidDataException($"{source}: line {lineNo} (data row {rows + 1}), column '{name}': missing value");
                if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    throw new InvalidDataException($"{source}: line {lineNo} (data row {rows + 1}), column '{name}': '{s}' is not a number");
                if (!double.IsFinite(v))
                    throw new InvalidDataException($"{source}: line {lineNo} (data row {rows + 1}), column '{name}': '{s}' is not a finite number");
                cols[k].Add(v);
            }
            rows++;
        }
        if (rows == 0) throw new InvalidDataException($"{source}: the file has a header but no data rows");
        return new CsvTable(source, sel.Select(i => header[i]).ToArray(), cols.Select(c => c.ToArray()).ToArray(), rows);
    }

    /// <summary>Splits one CSV line into fields ("…" quotes, "" inside quotes is a quote).</summary>
    internal static string[] Split(string line, string source, int lineNo)
    {
        var fields = new List<string>();
        var cur = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"')
                {
                    if (i + 1 < line.Length && line[i + 1] == '"') { cur.Append('"'); i++; }
                    else quoted = false;
                }
                else cur.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { fields.Add(cur.ToString()); cur.Clear(); }
            else cur.Append(ch);
        }
        if (quoted) throw new InvalidDataException($"{source}: line {lineNo} has an unterminated quoted field");
        fields.Add(cur.ToString());
        return fields.ToArray();
    }
}
