select
    *,
    ended_at is null as is_active,
    datediff('day', started_at, coalesce(ended_at, cast('2026-05-01' as timestamp_ntz))) as tenure_days
from {{ ref('stg_subscriptions') }}
