with source as (select * from {{ source('raw', 'accounts') }})
select
    cast(account_id as number(38,0)) as account_id,
    cast(customer_id as number(38,0)) as customer_id,
    account_type,
    upper(currency) as currency,
    status as account_status,
    cast(opened_at as timestamp_ntz) as opened_at
from source
