using System.ComponentModel.DataAnnotations;

namespace PushFunctions.Configuration;

/// <summary>A whole-number setting of 1 or more.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PositiveAttribute : RangeAttribute
{
    public PositiveAttribute() : base(1, int.MaxValue) => ErrorMessage = Setting.MustBePositive;
}
