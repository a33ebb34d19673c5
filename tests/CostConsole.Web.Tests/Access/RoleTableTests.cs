using System.Text.RegularExpressions;
using CostConsole.Web.Access;

namespace CostConsole.Web.Tests.Access;

/// <summary>The README's table of roles is the policy definitions in <c>Access/Policies.cs</c>, row for row.</summary>
public sealed partial class RoleTableTests
{
    [Fact]
    public void The_readme_role_table_lists_every_console_policy_with_exactly_the_roles_the_code_admits()
    {
        var readme = File.ReadAllLines(FindReadme());
        var header = Array.FindIndex(readme, l => l.StartsWith("| Part of the console", StringComparison.Ordinal));
        Assert.True(header >= 0, "The README has no role table starting with '| Part of the console'.");
        var columns = Cells(readme[header]);
        var roleColumns = Roles.All.ToDictionary(r => r, r => Array.IndexOf(columns, Roles.Display(r)));
        Assert.All(roleColumns, c => Assert.True(c.Value > 0, $"The role table has no column for {c.Key}."));

        var documented = new Dictionary<string, string[]>();
        foreach (var line in readme.Skip(header + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = Cells(line);
            var policy = PolicyName().Match(cells[0]);
            Assert.True(policy.Success, $"Row '{line}' does not name its policy as (`Name`).");
            documented[policy.Groups[1].Value] = [.. Roles.All.Where(r => cells[roleColumns[r]].Length > 0)];
        }

        Assert.Equal(Policies.RolesFor.Keys.Order(), documented.Keys.Order());
        foreach (var (policy, roles) in Policies.RolesFor)
        {
            Assert.True(roles.Order().SequenceEqual(documented[policy].Order()),
                $"{policy}: the code admits {string.Join(", ", roles.Order())}, the README says {string.Join(", ", documented[policy].Order())}.");
        }
    }

    private static string[] Cells(string line) => [.. line.Trim().Trim('|').Split('|').Select(c => c.Trim())];

    private static string FindReadme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CostConsole.sln")))
            {
                return Path.Combine(dir.FullName, "README.md");
            }
        }

        throw new FileNotFoundException("No README.md beside CostConsole.sln above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"\(`(\w+)`\)")]
    private static partial Regex PolicyName();
}
