with source as (select * from {{ source('raw', 'subscriptions') }})
select
    cast(subscription_id as number(38,0)) as subscription_id,
    cast(customer_id as number(38,0)) as customer_id,
    plan,
    cast(mrr as number(18,2)) as mrr,
    cast(started_at as timestamp_ntz) as started_at,
    cast(ended_at as timestamp_ntz) as ended_at
from source
