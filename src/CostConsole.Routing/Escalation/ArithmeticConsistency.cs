using System.Buffers;
using System.Globalization;

namespace CostConsole.Routing.Escalation;

/// <summary>A calculation an answer got wrong: <c>3 × 12.50 = 36.50 (expected 37.50)</c>.</summary>
public sealed record ArithmeticSlip(string Expression, string Stated, string Expected)
{
    public override string ToString() => $"{Expression} = {Stated} (expected {Expected})";
}

/// <summary>What the arithmetic check found: how many chains it recomputed, and the ones that do not add up.</summary>
public sealed record ArithmeticReport(int Checked, IReadOnlyList<ArithmeticSlip> Slips)
{
    public static readonly ArithmeticReport Empty = new(0, []);

    public bool Consistent => Slips.Count == 0;
}

/// <summary>
/// Recomputes every chain <c>expr = value (= value …)</c> an answer states, in decimal arithmetic, in one pass over
/// the text. Anything that may not be arithmetic — dates, times, phone and order numbers, versions, ranges, ratios,
/// numbers with units or letters attached, equations with unknowns — breaks a chain rather than being guessed at,
/// so what is reported is a real contradiction.
/// </summary>
public static class ArithmeticConsistency
{
    /// <summary>The default tolerance: half a unit of the last digit the answer shows.</summary>
    public const decimal DefaultTolerance = 0.5m;

    private const int MaxNesting = 24;

    private static readonly string[] CurrencyCodes = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR", "CNY", "SEK", "NOK", "DKK", "NZD"];

    /// <summary>
    /// Checks <paramref name="text"/>; a stated value is wrong when it differs from the recomputed one by more than
    /// <paramref name="tolerance"/> units of its last shown digit (0.5: it is not even a rounding of it).
    /// </summary>
    public static ArithmeticReport Check(string? text, decimal tolerance = DefaultTolerance)
    {
        if (string.IsNullOrEmpty(text) || !text.Contains('=', StringComparison.Ordinal))
        {
            return ArithmeticReport.Empty;
        }

        var tokens = ArrayPool<Token>.Shared.Rent(Math.Min(text.Length + 2, 1 << 20));
        try
        {
            var count = Tokenize(text, tokens);
            return Chains(text, tokens.AsSpan(0, count), tolerance);
        }
        finally
        {
            ArrayPool<Token>.Shared.Return(tokens);
        }
    }

    private enum Kind : byte
    {
        Number,
        Plus,
        Minus,
        Times,
        Divide,
        Of,
        Open,
        Close,
        Equals,
        Break,
    }

    private struct Token
    {
        public Kind Kind;
        public bool SpaceBefore;

        /// <summary>For a break: a word, identifier or unsupported operator, so a +/- right after it is binary with an unknown operand.</summary>
        public bool Wordish;

        /// <summary>For a break: a number may end right before it (".", ",", ")", ">>" …) without being part of something else.</summary>
        public bool CleanLeft;

        /// <summary>For a break: a number may start right after it ("(", ":", "&lt;&lt;" …).</summary>
        public bool CleanRight;
        public bool Percent;
        public bool Grouped;
        public int Start;
        public int End;
        public int Decimals;
        public decimal Value;
    }

    private static bool IsLetter(char c) => char.IsLetter(c) || c == '_';

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static int Tokenize(string s, Token[] tokens)
    {
        var n = 0;
        var space = true;
        var lineStart = true;
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c is '\n' or '\r')
            {
                Add(ref n, tokens, Break(i, i + 1, space, wordish: false, cleanLeft: true, cleanRight: true));
                i++;
                space = true;
                lineStart = true;
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                space = true;
                i++;
                continue;
            }

            var atLineStart = lineStart;
            lineStart = false;
            if (c is '$' or '€' or '£' or '¥' or '₹')
            {
                // A currency sign (or a LaTeX math delimiter) neither joins nor breaks a calculation.
                i++;
                continue;
            }

            if (IsDigit(c))
            {
                i = Number(s, i, space, tokens, ref n);
                space = false;
                continue;
            }

            if (IsLetter(c) || c == '\\')
            {
                i = Word(s, i, space, tokens, ref n);
                space = false;
                continue;
            }

            var next = i + 1 < s.Length ? s[i + 1] : '\0';
            var prev = i > 0 ? s[i - 1] : '\0';
            switch (c)
            {
                case '+' or '-' or '*' or '•' when atLineStart && (next == ' ' || next == '\t'):
                    // A bullet, not a sign.
                    Add(ref n, tokens, Break(i, i + 1, space, wordish: false, cleanLeft: true, cleanRight: true));
                    i++;
                    break;
                case '*' when next == '*':
                    {
                        // Markdown bold, or a power when digits touch both sides.
                        var end = i + 2;
                        var power = IsDigit(prev) && end < s.Length && IsDigit(s[end]);
                        Add(ref n, tokens, Break(i, end, space, wordish: power, cleanLeft: !power, cleanRight: !power));
                        i = end;
                        break;
                    }

                case '-' when next is '-' or '>':
                    Add(ref n, tokens, Break(i, i + 2, space, wordish: true, cleanLeft: false, cleanRight: false));
                    i += 2;
                    break;
                case '+':
                    Add(ref n, tokens, Op(Kind.Plus, i, space));
                    i++;
                    break;
                case '-' or '−':
                    Add(ref n, tokens, Op(Kind.Minus, i, space));
                    i++;
                    break;
                case '*' or '×' or '·' or '⋅' or '∗':
                    Add(ref n, tokens, Op(Kind.Times, i, space));
                    i++;
                    break;
                case '/' or '÷' or '∕':
                    Add(ref n, tokens, Op(Kind.Divide, i, space));
                    i++;
                    break;
                case '(' or '[':
                    Add(ref n, tokens, Op(Kind.Open, i, space));
                    i++;
                    break;
                case ')' or ']':
                    Add(ref n, tokens, Op(Kind.Close, i, space));
                    i++;
                    break;
                case '=' when next is '=' or '>' || prev is '<' or '>' or '!' or '=' or ':':
                    Add(ref n, tokens, Break(i, i + 1, space, wordish: true, cleanLeft: false, cleanRight: false));
                    i++;
                    break;
                case '=':
                    Add(ref n, tokens, Op(Kind.Equals, i, space));
                    i++;
                    break;
                case '<' when next == '<':
                case '>' when next == '>':
                    // Calculator annotations: <<3*60=180>>.
                    Add(ref n, tokens, Break(i, i + 2, space, wordish: false, cleanLeft: true, cleanRight: true));
                    i += 2;
                    break;
                case ',' or ';' or '.' or '?' or '!' or '"' or '\'' or '“' or '”' or '‘' or '’':
                    {
                        // "3,5", "5!" and "7, 485.00" are not the end of a number.
                        var touching = IsDigit(prev) && (IsDigit(next) || c == '!' || (c == ',' && SpacedThousands(s, i + 1)));
                        Add(ref n, tokens, Break(i, i + 1, space, wordish: touching, cleanLeft: !touching, cleanRight: !IsDigit(next) || c is '"' or '\'' or '“' or '‘'));
                        i++;
                        break;
                    }

                case ':':
                    Add(ref n, tokens, Break(i, i + 1, space, wordish: false, cleanLeft: !IsDigit(next), cleanRight: !IsDigit(prev)));
                    i++;
                    break;
                default:
                    // ^, ², !, ≈, <, >, |, {, }, #, & …: not arithmetic we check, and nothing next to it is either.
                    Add(ref n, tokens, Break(i, i + 1, space, wordish: true, cleanLeft: false, cleanRight: false));
                    i++;
                    break;
            }

            space = false;
        }

        return n;
    }

    /// <summary>Blanks, then exactly three digits: a thousands group typed with a space after its comma.</summary>
    private static bool SpacedThousands(string s, int i)
    {
        var start = i;
        while (i < s.Length && s[i] == ' ')
        {
            i++;
        }

        var digits = 0;
        while (i < s.Length && IsDigit(s[i]))
        {
            digits++;
            i++;
        }

        return i > start && digits == 3 && (i >= s.Length || !char.IsLetter(s[i]));
    }

    private static void Add(ref int n, Token[] tokens, Token token)
    {
        if (n < tokens.Length)
        {
            tokens[n++] = token;
        }
    }

    private static Token Op(Kind kind, int at, bool space) => new() { Kind = kind, Start = at, End = at + 1, SpaceBefore = space };

    private static Token Break(int start, int end, bool space, bool wordish, bool cleanLeft, bool cleanRight) =>
        new() { Kind = Kind.Break, Start = start, End = end, SpaceBefore = space, Wordish = wordish, CleanLeft = cleanLeft, CleanRight = cleanRight };

    /// <summary>A word, a LaTeX command, or letters and digits run together (2x, v2, 3rd, A1, cm²): breaks a chain, except the few that are operators.</summary>
    private static int Word(string s, int i, bool space, Token[] tokens, ref int n)
    {
        var start = i;
        if (s[i] == '\\')
        {
            i++;
            if (i < s.Length && !IsLetter(s[i]))
            {
                // \$, \%, \, and friends: escaped punctuation, which neither joins nor breaks.
                return i + 1;
            }
        }

        while (i < s.Length && (IsLetter(s[i]) || IsDigit(s[i]) || (s[i] == '.' && i + 1 < s.Length && (IsLetter(s[i + 1]) || IsDigit(s[i + 1])))))
        {
            i++;
        }

        var word = s.AsSpan(start, i - start);
        var previous = n > 0 ? tokens[n - 1] : default;
        var afterValue = n > 0 && previous.Kind is Kind.Number or Kind.Close;
        if (word is "\\times" or "\\cdot" || (word is "x" or "X" && afterValue && NextIsOperand(s, i)))
        {
            Add(ref n, tokens, new Token { Kind = Kind.Times, Start = start, End = i, SpaceBefore = space });
            return i;
        }

        if (word is "\\div")
        {
            Add(ref n, tokens, new Token { Kind = Kind.Divide, Start = start, End = i, SpaceBefore = space });
            return i;
        }

        if (word is "\\left" or "\\right")
        {
            return i;
        }

        if (word is "of" && n > 0 && previous.Kind == Kind.Number && previous.Percent && NextIsOperand(s, i))
        {
            Add(ref n, tokens, new Token { Kind = Kind.Of, Start = start, End = i, SpaceBefore = space });
            return i;
        }

        foreach (var code in CurrencyCodes)
        {
            if (word.SequenceEqual(code))
            {
                return i;
            }
        }

        Add(ref n, tokens, Break(start, i, space, wordish: true, cleanLeft: false, cleanRight: false));
        return i;
    }

    /// <summary>The next non-blank character starts a number or a bracket (currency signs skipped).</summary>
    private static bool NextIsOperand(string s, int i)
    {
        while (i < s.Length && (s[i] is ' ' or '\t' or '$' or '€' or '£'))
        {
            i++;
        }

        return i < s.Length && (IsDigit(s[i]) || s[i] == '(');
    }

    private static int Number(string s, int i, bool space, Token[] tokens, ref int n)
    {
        var start = i;

        // Dates, phone numbers and the like: three or more digit groups joined by the same - / or :, or a time.
        var groupEnd = i;
        while (groupEnd < s.Length && IsDigit(s[groupEnd]))
        {
            groupEnd++;
        }

        if (groupEnd + 1 < s.Length && s[groupEnd] is '-' or '/' or ':' && IsDigit(s[groupEnd + 1]))
        {
            var separator = s[groupEnd];
            var j = groupEnd;
            var separators = 0;
            while (j + 1 < s.Length && s[j] == separator && IsDigit(s[j + 1]))
            {
                separators++;
                j++;
                while (j < s.Length && IsDigit(s[j]))
                {
                    j++;
                }
            }

            if (separators >= 2 || separator == ':')
            {
                return Identifier(s, start, j, space, tokens, ref n);
            }
        }

        // Digits, thousands groups of three, then decimals.
        var end = groupEnd;
        var grouped = false;
        while (end + 3 < s.Length + 0 && s[end] == ',' && IsDigit(s[end + 1]) && IsDigit(s[end + 2]) && IsDigit(s[end + 3])
               && (end + 4 >= s.Length || !IsDigit(s[end + 4])))
        {
            end += 4;
            grouped = true;
        }

        var decimals = 0;
        if (end + 1 < s.Length && s[end] == '.' && IsDigit(s[end + 1]))
        {
            end++;
            while (end < s.Length && IsDigit(s[end]))
            {
                end++;
                decimals++;
            }

            if (end + 1 < s.Length && s[end] == '.' && IsDigit(s[end + 1]))
            {
                // 1.2.3: a version.
                while (end < s.Length && (IsDigit(s[end]) || s[end] == '.'))
                {
                    end++;
                }

                return Identifier(s, start, end, space, tokens, ref n);
            }
        }

        // Letters attached: 2x, 3rd, 10am, 5kg. An x between two numbers is a multiplication.
        if (end < s.Length && IsLetter(s[end]))
        {
            var afterX = end + 1;
            var isTimes = s[end] is 'x' or 'X' && (afterX >= s.Length || !IsLetter(s[afterX])) && NextIsOperand(s, afterX);
            if (!isTimes)
            {
                var j = end;
                while (j < s.Length && (IsLetter(s[j]) || IsDigit(s[j])))
                {
                    j++;
                }

                return Identifier(s, start, j, space, tokens, ref n);
            }
        }

        // A leading zero (007, 01) is an identifier or a date part, not a quantity.
        var digits = s.AsSpan(start, end - start);
        if (digits.Length > 1 && digits[0] == '0' && IsDigit(digits[1]))
        {
            return Identifier(s, start, end, space, tokens, ref n);
        }

        var parsed = grouped
            ? decimal.TryParse(digits, NumberStyles.AllowThousands | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            : decimal.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
        if (!parsed || digits.Length > 28)
        {
            // Too long for decimal arithmetic: not checked.
            return Identifier(s, start, end, space, tokens, ref n);
        }

        var percent = false;
        var after = end;
        if (after < s.Length && s[after] == '%')
        {
            percent = true;
            after++;
        }
        else if (after + 1 < s.Length && s[after] == ' ' && s[after + 1] == '%')
        {
            percent = true;
            after += 2;
        }
        else if (after + 1 < s.Length && s[after] == '\\' && s[after + 1] == '%')
        {
            percent = true;
            after += 2;
        }

        Add(ref n, tokens, new Token { Kind = Kind.Number, Start = start, End = after, SpaceBefore = space, Value = value, Decimals = decimals, Percent = percent, Grouped = grouped });
        return after;
    }

    private static int Identifier(string s, int start, int end, bool space, Token[] tokens, ref int n)
    {
        Add(ref n, tokens, Break(start, end, space, wordish: true, cleanLeft: false, cleanRight: false));
        return end;
    }

    /// <summary>Splits the tokens into runs between breaks, and each run into a chain of segments between '='.</summary>
    private static ArithmeticReport Chains(string text, ReadOnlySpan<Token> tokens, decimal tolerance)
    {
        var checkedChains = 0;
        List<ArithmeticSlip>? slips = null;
        var runStart = 0;
        for (var i = 0; i <= tokens.Length; i++)
        {
            if (i < tokens.Length && tokens[i].Kind != Kind.Break)
            {
                continue;
            }

            if (i > runStart)
            {
                var before = runStart > 0 ? tokens[runStart - 1] : (Token?)null;
                var after = i < tokens.Length ? tokens[i] : (Token?)null;
                checkedChains += Run(text, tokens[runStart..i], before, after, tolerance, ref slips);
            }

            runStart = i + 1;
        }

        return checkedChains == 0 && slips is null ? ArithmeticReport.Empty : new ArithmeticReport(checkedChains, (IReadOnlyList<ArithmeticSlip>?)slips ?? []);
    }

    private static int Run(string text, ReadOnlySpan<Token> run, Token? before, Token? after, decimal tolerance, ref List<ArithmeticSlip>? slips)
    {
        var equalsCount = 0;
        foreach (var token in run)
        {
            if (token.Kind == Kind.Equals)
            {
                equalsCount++;
            }
        }

        if (equalsCount == 0)
        {
            return 0;
        }

        // Where the run touches what is around it, the segment there may be part of something else: leave it out.
        var first = run[0];
        var firstUsable = (before is null || first.SpaceBefore || before.Value.CleanRight)
                          && !(first.Kind is Kind.Times or Kind.Divide or Kind.Of)
                          && !(first.Kind is Kind.Plus or Kind.Minus && before is { Wordish: true });
        var lastUsable = after is null || after.Value.SpaceBefore || after.Value.CleanLeft;

        Span<(int Start, int End)> segments = equalsCount < 32 ? stackalloc (int, int)[equalsCount + 1] : new (int, int)[equalsCount + 1];
        var count = 0;
        var start = 0;
        for (var i = 0; i <= run.Length; i++)
        {
            if (i == run.Length || run[i].Kind == Kind.Equals)
            {
                segments[count++] = (start, i);
                start = i + 1;
            }
        }

        var checkedChains = 0;
        Segment? reference = null;
        var compared = false;
        for (var k = 0; k < count; k++)
        {
            var (from, to) = segments[k];
            var usable = (k != 0 || firstUsable) && (k != count - 1 || lastUsable);
            Segment? segment = null;
            if (usable)
            {
                var slice = run[from..to];
                if (k == 0)
                {
                    slice = TrimUnmatchedOpen(slice);
                }

                if (k == count - 1)
                {
                    slice = TrimUnmatchedClose(slice);
                }

                segment = Evaluate(slice);
            }

            if (segment is not { } current)
            {
                // A break in the chain: what follows starts afresh.
                checkedChains += compared ? 1 : 0;
                reference = null;
                compared = false;
                continue;
            }

            if (reference is not { } basis)
            {
                reference = current.HasOperator ? current : null;
                continue;
            }

            compared = true;
            if (!Agrees(basis, current, tolerance))
            {
                slips ??= [];
                slips.Add(new ArithmeticSlip(Text(text, basis), Text(text, current), Expected(basis, current)));
            }
        }

        return checkedChains + (compared ? 1 : 0);
    }

    private readonly record struct Segment(decimal Value, bool HasOperator, bool LonePercent, decimal Shown, int Decimals, int MaxDecimals, int Start, int End)
    {
        /// <summary>The answer wrote the number with thousands separators, so the expected value is shown with them too.</summary>
        public bool Grouped { get; init; }
    }

    private static string Text(string text, Segment segment) => text[segment.Start..segment.End].Trim();

    private static bool Agrees(Segment basis, Segment stated, decimal tolerance)
    {
        if (stated.HasOperator)
        {
            // Two expressions: both may carry rounded intermediate values, so allow 1% besides the last shown digit.
            var allowed = Math.Max(tolerance * Unit(Math.Max(basis.MaxDecimals, stated.MaxDecimals)), Math.Abs(basis.Value) / 100m);
            return Math.Abs(basis.Value - stated.Value) <= allowed;
        }

        var unit = tolerance * Unit(stated.Decimals);
        if (Math.Abs(Scaled(basis.Value, stated) - stated.Shown) <= unit)
        {
            return true;
        }

        // "30 / 200 × 100 = 15%": a percentage written after the expression already made it one.
        return stated.LonePercent && Math.Abs(basis.Value - stated.Shown) <= unit;
    }

    /// <summary>The recomputed value on the stated number's scale: as a percentage when it is written as one.</summary>
    private static decimal Scaled(decimal value, Segment stated) => stated.LonePercent ? value * 100m : value;

    private static decimal Unit(int decimals)
    {
        var unit = 1m;
        for (var i = 0; i < decimals && i < 28; i++)
        {
            unit /= 10m;
        }

        return unit;
    }

    private static string Expected(Segment basis, Segment stated)
    {
        if (stated.HasOperator)
        {
            return Format(basis.Value, Math.Max(basis.MaxDecimals, 2), false);
        }

        // A percentage is shown on whichever scale is nearer to what the answer wrote: 0.25 or 25%.
        var scaled = Scaled(basis.Value, stated);
        if (stated.LonePercent && Math.Abs(basis.Value - stated.Shown) < Math.Abs(scaled - stated.Shown))
        {
            scaled = basis.Value;
        }

        var value = Math.Round(scaled, Math.Min(stated.Decimals, 28), MidpointRounding.AwayFromZero);
        return Format(value, stated.Decimals, stated.LonePercent, stated.Grouped);
    }

    private static string Format(decimal value, int decimals, bool percent, bool grouped = false) =>
        value.ToString((grouped ? "N" : "F") + Math.Min(decimals, 28).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + (percent ? "%" : "");

    private static ReadOnlySpan<Token> TrimUnmatchedOpen(ReadOnlySpan<Token> slice)
    {
        var depth = 0;
        foreach (var token in slice)
        {
            depth += token.Kind == Kind.Open ? 1 : token.Kind == Kind.Close ? -1 : 0;
        }

        var skip = 0;
        while (depth > 0 && skip < slice.Length && slice[skip].Kind == Kind.Open)
        {
            skip++;
            depth--;
        }

        return slice[skip..];
    }

    private static ReadOnlySpan<Token> TrimUnmatchedClose(ReadOnlySpan<Token> slice)
    {
        var depth = 0;
        foreach (var token in slice)
        {
            depth += token.Kind == Kind.Open ? 1 : token.Kind == Kind.Close ? -1 : 0;
        }

        var end = slice.Length;
        while (depth < 0 && end > 0 && slice[end - 1].Kind == Kind.Close)
        {
            end--;
            depth++;
        }

        return slice[..end];
    }

    /// <summary>The segment's value, or null when it is not a complete expression we can compute.</summary>
    private static Segment? Evaluate(ReadOnlySpan<Token> slice)
    {
        if (slice.Length == 0)
        {
            return null;
        }

        var parser = new Parser(slice);
        try
        {
            if (!parser.Expression(0, out var value) || parser.Position != slice.Length)
            {
                return null;
            }

            var maxDecimals = 0;
            var numbers = 0;
            foreach (var token in slice)
            {
                if (token.Kind == Kind.Number)
                {
                    numbers++;
                    maxDecimals = Math.Max(maxDecimals, token.Decimals);
                }
            }

            var lone = slice.Length == 1 || (slice.Length == 2 && slice[0].Kind == Kind.Minus);
            var number = slice[^1];
            var shown = lone ? (slice.Length == 2 ? -number.Value : number.Value) : value;
            return new Segment(value, parser.Operators > 0 && numbers > 1, lone && number.Percent, shown, lone ? number.Decimals : maxDecimals, maxDecimals, slice[0].Start, slice[^1].End)
            {
                Grouped = lone && number.Grouped,
            };
        }
        catch (OverflowException)
        {
            return null;
        }
        catch (DivideByZeroException)
        {
            return null;
        }
    }

    /// <summary>Recursive descent over one segment: + - × / "of", unary signs, brackets, percentages.</summary>
    private ref struct Parser(ReadOnlySpan<Token> tokens)
    {
        private readonly ReadOnlySpan<Token> _tokens = tokens;

        public int Position;

        public int Operators;

        public bool Expression(int depth, out decimal value)
        {
            if (!Term(depth, out value, out _))
            {
                return false;
            }

            while (Position < _tokens.Length && _tokens[Position].Kind is Kind.Plus or Kind.Minus)
            {
                var minus = _tokens[Position].Kind == Kind.Minus;
                Position++;
                Operators++;
                if (!Term(depth, out var right, out var lonePercent))
                {
                    return false;
                }

                // "200 + 15%" as a calculator reads it: 15% of 200.
                if (lonePercent)
                {
                    right = value * right;
                }

                value = minus ? value - right : value + right;
            }

            return true;
        }

        private bool Term(int depth, out decimal value, out bool lonePercent)
        {
            if (!Factor(depth, out value, out lonePercent))
            {
                return false;
            }

            while (Position < _tokens.Length && _tokens[Position].Kind is Kind.Times or Kind.Divide or Kind.Of)
            {
                var divide = _tokens[Position].Kind == Kind.Divide;
                Position++;
                Operators++;
                lonePercent = false;
                if (!Factor(depth, out var right, out _))
                {
                    return false;
                }

                value = divide ? value / right : value * right;
            }

            return true;
        }

        private bool Factor(int depth, out decimal value, out bool lonePercent)
        {
            value = 0;
            lonePercent = false;
            if (Position >= _tokens.Length || depth > MaxNesting)
            {
                return false;
            }

            var token = _tokens[Position];
            switch (token.Kind)
            {
                case Kind.Plus or Kind.Minus:
                    Position++;
                    if (!Factor(depth + 1, out value, out lonePercent))
                    {
                        return false;
                    }

                    value = token.Kind == Kind.Minus ? -value : value;
                    return true;
                case Kind.Number:
                    Position++;
                    value = token.Percent ? token.Value / 100m : token.Value;
                    lonePercent = token.Percent;
                    return true;
                case Kind.Open:
                    Position++;
                    if (!Expression(depth + 1, out value) || Position >= _tokens.Length || _tokens[Position].Kind != Kind.Close)
                    {
                        return false;
                    }

                    Position++;
                    return true;
                default:
                    return false;
            }
        }
    }
}
