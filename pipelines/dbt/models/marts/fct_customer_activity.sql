with final as (
select customer_id, activity_date, event_count, login_count from {{ ref('int_events_daily') }}
)
select
    cast(customer_id as number(38,0)) as customer_id,
    cast(activity_date as date) as activity_date,
    cast(event_count as number(38,0)) as event_count,
    cast(login_count as number(38,0)) as login_count
from final
