select
    customer_id,
    occurred_date as activity_date,
    count(*) as event_count,
    count_if(event_type = 'login') as login_count
from {{ ref('stg_events') }}
group by customer_id, occurred_date
