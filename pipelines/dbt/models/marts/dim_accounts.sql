with final as (
select account_id, customer_id, account_type, currency, account_status, opened_at from {{ ref('stg_accounts') }}
)
select
    cast(account_id as number(38,0)) as account_id,
    cast(customer_id as number(38,0)) as customer_id,
    cast(account_type as varchar) as account_type,
    cast(currency as varchar) as currency,
    cast(account_status as varchar) as account_status,
    cast(opened_at as timestamp_ntz) as opened_at
from final
