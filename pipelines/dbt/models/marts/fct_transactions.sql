with final as (
select transaction_id, account_id, customer_id, merchant_id, booked_date, direction, amount, currency, amount_usd, signed_amount_usd
from {{ ref('int_transactions_enriched') }}
)
select
    cast(transaction_id as number(38,0)) as transaction_id,
    cast(account_id as number(38,0)) as account_id,
    cast(customer_id as number(38,0)) as customer_id,
    cast(merchant_id as number(38,0)) as merchant_id,
    cast(booked_date as date) as booked_date,
    cast(direction as varchar) as direction,
    cast(amount as number(18,2)) as amount,
    cast(currency as varchar) as currency,
    cast(amount_usd as number(18,2)) as amount_usd,
    cast(signed_amount_usd as number(18,2)) as signed_amount_usd
from final
