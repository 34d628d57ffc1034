using ImageGen.Generation.Apis;
using ImageGen.Generation.Data;

namespace ImageGen.Generation.Tests;

public class Paging_through_jobs
{
    [Fact]
    public void A_cursor_round_trips_to_the_same_position()
    {
        var cursor = new JobCursor(new DateTimeOffset(2026, 11, 25, 6, 47, 28, TimeSpan.Zero).AddTicks(2820050), Guid.CreateVersion7());

        Assert.True(JobsApi.TryDecodeCursor(JobsApi.EncodeCursor(cursor), out var decoded));
        Assert.Equal(cursor, decoded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-cursor")]
    [InlineData("%%%")]
    [InlineData("MTIzOmFiYw")] // "123:abc": a tick count but no job id
    public void A_cursor_this_api_did_not_issue_is_rejected(string cursor)
    {
        Assert.False(JobsApi.TryDecodeCursor(cursor, out _));
    }
}
