using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;

namespace Nabla.Tests.Architecture;

/// <summary>A use of <see cref="To"/> by <see cref="From"/> (both named by full type name, with their namespaces).</summary>
public readonly record struct TypeReference(string From, string FromNamespace, string To, string ToNamespace)
{
    public override string ToString() => $"{From} → {To}";
}

/// <summary>
/// Every type an assembly's types really use, read from metadata and IL rather than from <c>using</c> lines: base
/// types and interfaces, field, property, event and signature types, custom attributes, local variables, and every
/// type, method, field and token operand of every method body (<see cref="MethodBody.GetILAsByteArray"/> resolved
/// through <see cref="Module.ResolveMember(int, Type[], Type[])"/>). Nested and compiler-generated types (closures,
/// iterators, state machines) count as their outermost declaring type; array, pointer, by-ref and generic types
/// count as their element and argument types.
/// </summary>
public static class ReferenceScanner
{
    const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    static readonly OpCode[] OneByte = new OpCode[256], TwoByte = new OpCode[256];

    static ReferenceScanner()
    {
        foreach (var f in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var op = (OpCode)f.GetValue(null)!;
            ushort v = (ushort)op.Value;
            if (op.Size == 1) OneByte[v] = op;
            else TwoByte[v & 0xFF] = op;
        }
    }

    /// <summary>The outermost declaring type: what a nested or compiler-generated type belongs to.</summary>
    public static Type Owner(Type t)
    {
        while (t.DeclaringType is { } d) t = d;
        return t;
    }

    /// <summary>
    /// References from the types of <paramref name="assembly"/> to types of assemblies accepted by
    /// <paramref name="include"/> (the assembly itself and its siblings; the base library is not of interest).
    /// Tokens that cannot be resolved are returned in <paramref name="unresolved"/>, never skipped silently.
    /// </summary>
    public static IReadOnlyCollection<TypeReference> Scan(Assembly assembly, Func<Assembly, bool> include, out IReadOnlyList<string> unresolved)
    {
        var found = new HashSet<TypeReference>();
        var failures = new List<string>();
        foreach (var type in assembly.GetTypes())
        {
            var owner = Owner(type);
            void Use(Type? t)
            {
                foreach (var u in Components(t))
                {
                    if (u.IsGenericParameter || !include(u.Assembly)) continue;
                    var o = Owner(u);
                    if (o == owner) continue;
                    found.Add(new TypeReference(owner.FullName ?? owner.Name, owner.Namespace ?? "", o.FullName ?? o.Name, o.Namespace ?? ""));
                }
            }
            void UseAttributes(IEnumerable<CustomAttributeData> attributes)
            {
                foreach (var a in attributes)
                {
                    Use(a.AttributeType);
                    foreach (var arg in a.ConstructorArguments) if (arg.Value is Type tv) Use(tv);
                }
            }

            Use(type.BaseType);
            foreach (var i in type.GetInterfaces()) Use(i);
            UseAttributes(type.CustomAttributes);
            foreach (var f in type.GetFields(All)) { Use(f.FieldType); UseAttributes(f.CustomAttributes); }
            foreach (var p in type.GetProperties(All)) Use(p.PropertyType);
            foreach (var e in type.GetEvents(All)) Use(e.EventHandlerType);
            foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                if (m is MethodInfo mi) Use(mi.ReturnType);
                foreach (var p in m.GetParameters()) Use(p.ParameterType);
                foreach (var g in m.IsGenericMethodDefinition ? m.GetGenericArguments() : []) foreach (var c in g.GetGenericParameterConstraints()) Use(c);
                UseAttributes(m.CustomAttributes);
                MethodBody? body;
                try { body = m.GetMethodBody(); }
                catch (Exception e) { failures.Add($"{owner.FullName}.{m.Name}: no body ({e.Message})"); continue; }
                if (body is null) continue;
                foreach (var l in body.LocalVariables) Use(l.LocalType);
                foreach (var c in body.ExceptionHandlingClauses) if (c.Flags == ExceptionHandlingClauseOptions.Clause) Use(c.CatchType);
                var il = body.GetILAsByteArray();
                if (il is null) continue;
                var typeArgs = type.IsGenericType ? type.GetGenericArguments() : null;
                var methodArgs = m.IsGenericMethod ? m.GetGenericArguments() : null;
                foreach (var (kind, token) in Tokens(il, failures, $"{owner.FullName}.{m.Name}"))
                {
                    if (kind == OperandType.InlineString) continue;
                    try
                    {
                        switch (m.Module.ResolveMember(token, typeArgs, methodArgs))
                        {
                            case Type t: Use(t); break;
                            case FieldInfo f: Use(f.DeclaringType); Use(f.FieldType); break;
                            case MethodBase mb:
                                Use(mb.DeclaringType);
                                if (mb is MethodInfo rm) { Use(rm.ReturnType); foreach (var g in rm.IsGenericMethod ? rm.GetGenericArguments() : []) Use(g); }
                                foreach (var p in mb.GetParameters()) Use(p.ParameterType);
                                break;
                        }
                    }
                    catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or FileNotFoundException or MissingMemberException)
                    {
                        failures.Add($"{owner.FullName}.{m.Name}: token 0x{token:X8} ({e.GetType().Name}: {e.Message})");
                    }
                }
            }
        }
        unresolved = failures;
        return found;
    }

    /// <summary>
    /// The string literals (<c>ldstr</c> operands) of every method body of <paramref name="assembly"/>, with the type
    /// that declares the method (nested and compiler-generated types mapped to their owner).
    /// </summary>
    public static IEnumerable<(string Type, string Literal)> StringLiterals(Assembly assembly)
    {
        var failures = new List<string>();
        foreach (var type in assembly.GetTypes())
            foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                var il = m.GetMethodBody()?.GetILAsByteArray();
                if (il is null) continue;
                foreach (var (kind, token) in Tokens(il, failures, m.Name))
                    if (kind == OperandType.InlineString) yield return (Owner(type).FullName ?? type.Name, m.Module.ResolveString(token));
            }
        if (failures.Count > 0) throw new InvalidDataException("unreadable IL: " + string.Join("; ", failures));
    }

    /// <summary>The metadata tokens of an IL stream's type, method, field, ldtoken and string operands.</summary>
    static IEnumerable<(OperandType Kind, int Token)> Tokens(byte[] il, List<string> failures, string where)
    {
        int i = 0;
        while (i < il.Length)
        {
            OpCode op;
            if (il[i] == 0xFE) { if (i + 1 >= il.Length) { failures.Add($"{where}: truncated IL"); yield break; } op = TwoByte[il[i + 1]]; i += 2; }
            else { op = OneByte[il[i]]; i += 1; }
            if (op.Size == 0) { failures.Add($"{where}: unknown opcode at IL offset {i - 1}"); yield break; }
            switch (op.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: i += 1; break;
                case OperandType.InlineVar: i += 2; break;
                case OperandType.InlineI or OperandType.InlineBrTarget or OperandType.ShortInlineR or OperandType.InlineSig: i += 4; break;
                case OperandType.InlineI8 or OperandType.InlineR: i += 8; break;
                case OperandType.InlineSwitch: i += 4 + 4 * BitConverter.ToInt32(il, i); break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok or OperandType.InlineString:
                    yield return (op.OperandType, BitConverter.ToInt32(il, i));
                    i += 4;
                    break;
                default: failures.Add($"{where}: operand type {op.OperandType}"); yield break;
            }
        }
    }

    /// <summary>A type and what it is built from: element types of arrays, pointers and by-refs, generic arguments.</summary>
    static IEnumerable<Type> Components(Type? t)
    {
        if (t is null) yield break;
        if (t.HasElementType) { foreach (var c in Components(t.GetElementType())) yield return c; yield break; }
        if (t.IsGenericType && !t.IsGenericTypeDefinition)
        {
            yield return t.GetGenericTypeDefinition();
            foreach (var a in t.GetGenericArguments()) foreach (var c in Components(a)) yield return c;
            yield break;
        }
        if (t.IsFunctionPointer)
        {
            foreach (var c in Components(t.GetFunctionPointerReturnType())) yield return c;
            foreach (var p in t.GetFunctionPointerParameterTypes()) foreach (var c in Components(p)) yield return c;
            yield break;
        }
        yield return t;
    }

    /// <summary>True for types the compiler emits into an assembly (closures at the top level, embedded attributes, &lt;PrivateImplementationDetails&gt;).</summary>
    public static bool IsCompilerEmitted(Type t) =>
        t.Name.StartsWith('<') || t.IsDefined(typeof(CompilerGeneratedAttribute), false) || t.CustomAttributes.Any(a => a.AttributeType.Name == "EmbeddedAttribute");
}
