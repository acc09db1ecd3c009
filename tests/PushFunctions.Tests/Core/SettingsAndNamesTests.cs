using Microsoft.Extensions.Configuration;
using PushFunctions.Configuration;
using PushFunctions.Delivery;
using PushFunctions.Http;
using PushFunctions.Presence;

namespace PushFunctions.Tests.Core;

public class SettingsTests
{
    [Fact]
    public void Missing_settings_are_all_named_in_one_error()
    {
        var error = Assert.Throws<InvalidSettingsException>(() => TestSettings.Validate(new ConfigurationBuilder().Build()));
        Assert.Contains(SettingNames.SignalRConnectionString, error.Message);
        Assert.Contains(SettingNames.RedisConnectionString, error.Message);
        Assert.Contains(SettingNames.ServerKeys, error.Message);
        Assert.Contains(SettingNames.SessionSigningKeys, error.Message);
    }

    [Fact]
    public void Short_keys_and_bad_numbers_are_refused_by_name_without_their_values()
    {
        var error = Assert.Throws<InvalidSettingsException>(() => TestSettings.Validate(TestSettings.Configuration(new()
        {
            [SettingNames.SessionSigningKeys] = "short-signing-key",
            [SettingNames.UserStreamMaxLength.Replace("__", ":")] = "-3",
        })));
        Assert.Contains(SettingNames.SessionSigningKeys, error.Message);
        Assert.DoesNotContain("short-signing-key", error.Message);
        Assert.Contains(SettingNames.UserStreamMaxLength, error.Message);
    }

    [Fact]
    public void Defaults_apply_and_lists_are_split()
    {
        var keys = TestSettings.Keys(["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]).Value;
        Assert.Equal("push", TestSettings.Read<SignalROptions>([]).HubName);
        Assert.Equal(2, keys.SigningKeys.Count);
        Assert.Equal(new RetentionPolicy(1000, TimeSpan.FromDays(7)), TestSettings.Read<RetentionOptions>([]).User);
        Assert.Equal(1000, TestSettings.Read<PresenceOptions>([]).OnlinePushBudgetPerSecond);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("lots")]
    public void Online_push_budget_must_be_a_positive_number(string value)
    {
        var error = Assert.Throws<InvalidSettingsException>(() => TestSettings.Validate(TestSettings.Configuration(new()
        {
            [SettingNames.OnlinePushBudgetPerSecond.Replace("__", ":")] = value,
        })));
        Assert.Contains(SettingNames.OnlinePushBudgetPerSecond, error.Message);
    }

    [Fact]
    public void Online_push_budget_is_read()
    {
        var settings = TestSettings.Read<PresenceOptions>(new() { [SettingNames.OnlinePushBudgetPerSecond.Replace("__", ":")] = "2500" });
        Assert.Equal(2500, settings.OnlinePushBudgetPerSecond);
    }
}

public class NamesTests
{
    [Theory]
    [InlineData("u1", true)]
    [InlineData("a.b_c-d@e:f", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("brace{tag}", false)]
    [InlineData("é", false)]
    [InlineData("😀", false)]
    [InlineData("nul\0", false)]
    public void Ids_follow_the_api_rule(string id, bool valid) => Assert.Equal(valid, Ids.IsValid(id));

    [Fact]
    public void Ids_are_at_most_128_characters()
    {
        Assert.True(Ids.IsValid(new string('a', 128)));
        Assert.False(Ids.IsValid(new string('a', 129)));
    }

    [Theory]
    [InlineData("user:u1", StreamKind.User, "u1")]
    [InlineData("user:a:b", StreamKind.User, "a:b")]
    [InlineData("room:r1", StreamKind.Room, "r1")]
    [InlineData("broadcast", StreamKind.Broadcast, "")]
    public void Stream_names_round_trip(string text, StreamKind kind, string id)
    {
        Assert.True(StreamName.TryParse(text, out var name));
        Assert.Equal(new StreamName(kind, id), name);
        Assert.Equal(text, name.ToString());
    }

    [Theory]
    [InlineData("user:")]
    [InlineData("room:bad id")]
    [InlineData("broadcasts")]
    [InlineData("other:x")]
    public void Bad_stream_names_are_refused(string text) => Assert.False(StreamName.TryParse(text, out _));

    [Fact]
    public void Session_claim_is_read_from_upstream_claims_header()
    {
        Assert.Equal("abc-_1", UpstreamFunctions.ReadClaim("asrs.s.uid: u1, pf.sid: abc-_1, aud: http://x", "pf.sid"));
        Assert.Null(UpstreamFunctions.ReadClaim("asrs.s.uid: u1", "pf.sid"));
        Assert.Null(UpstreamFunctions.ReadClaim("", "pf.sid"));
    }
}
