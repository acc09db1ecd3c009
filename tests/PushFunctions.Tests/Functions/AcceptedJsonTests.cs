using PushFunctions.Delivery;
using PushFunctions.Http;

namespace PushFunctions.Tests.Functions;

public class AcceptedJsonTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
{
    [Fact]
    public async Task An_accepted_send_is_202_with_camelCase_json_and_its_length_so_it_is_not_sent_chunked()
    {
        var response = await Invocation.ExecuteAsync(new AcceptedJson<SendAccepted>(new SendAccepted("id1", "user:u1", 7)), host.Services);

        Assert.Equal(202, response.Status);
        Assert.Equal("application/json; charset=utf-8", response.ContentType);
        Assert.Equal("""{"id":"id1","stream":"user:u1","seq":7}""", response.Body);
        Assert.Equal(response.Body.Length, response.Headers.ContentLength);
    }
}
