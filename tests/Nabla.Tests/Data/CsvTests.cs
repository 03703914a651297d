using Nabla.Data;

namespace Nabla.Tests.Data;

public class CsvTests
{
    static CsvTable Parse(string text, params string[] cols) => Csv.Parse(new StringReader(text), "t.csv", cols.Length == 0 ? null : cols);

    [Fact]
    public void ReadsNumericColumnsAndSelects()
    {
        var t = Parse("a,\"b\",label\n1,2.5,x\n\n-3e2,4,\"y, z\"\n", "b", "a");
        Assert.Equal(new[] { "b", "a" }, t.Columns);
        Assert.Equal(2, t.Rows);
        Assert.Equal(new[] { 2.5, 4 }, t.Column("b"));
        Assert.Equal(new[] { 1.0, -300 }, t.Column(1));
        var m = t.ToMatrix();
        Assert.Equal(4.0, m[1, 0]);
        Assert.Equal(-300.0, m[1, 1]);
    }

    [Fact]
    public void BadValuesNameTheLineAndColumn()
    {
        var e1 = Assert.Throws<InvalidDataException>(() => Parse("a,b\n1,2\n3,\n"));
        Assert.Contains("line 3", e1.Message);
        Assert.Contains("column 'b'", e1.Message);
        Assert.Contains("missing", e1.Message);
        var e2 = Assert.Throws<InvalidDataException>(() => Parse("a,b\n1,2\nabc,4\n"));
        Assert.Contains("line 3 (data row 2), column 'a': 'abc' is not a number", e2.Message);
        var e3 = Assert.Throws<InvalidDataException>(() => Parse("a,b\n1,2,3\n"));
        Assert.Contains("3 fields", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => Parse("a,b\n1,2\n", "c"));
        Assert.Contains("no column 'c'", e4.Message);
        Assert.Throws<InvalidDataException>(() => Parse("a,b\n"));
        Assert.Throws<InvalidDataException>(() => Parse(""));
        Assert.Throws<InvalidDataException>(() => Parse("a,a\n1,2\n"));
        Assert.Throws<InvalidDataException>(() => Parse("a,b\n1,NaN\n"));
        // a text column is fine when not selected, an error when it is
        Assert.Equal(1, Parse("a,s\n1,x\n", "a").Rows);
        Assert.Throws<InvalidDataException>(() => Parse("a,s\n1,x\n"));
        Assert.Throws<FileNotFoundException>(() => Csv.Read("/nonexistent/file.csv"));
    }
}
