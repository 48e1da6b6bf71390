with source as (select * from {{ source('raw', 'events') }})
select
    event_id,
    cast(customer_id as number(38,0)) as customer_id,
    event_type,
    cast(occurred_at as timestamp_ntz) as occurred_at,
    cast(occurred_at as date) as occurred_date,
    cast(payload_size as number(38,0)) as payload_size
from source
