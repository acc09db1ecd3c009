using TodoBackend.Accounts;
using TodoBackend.Admin;
using TodoBackend.Demo;
using TodoBackend.Push;
using TodoBackend.Todos;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });

builder.Services.AddProblemDetails();
builder.Services.AddPushFunctionsClient(builder.Configuration);
builder.Services.AddAccounts();
builder.Services.AddTodos();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDemoPage(builder.Configuration);
app.UseAuthentication();
app.UseAuthorization();

app.MapAccounts();
app.MapTodos();
app.MapAdmin();

app.Run();
