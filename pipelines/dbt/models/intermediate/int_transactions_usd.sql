with transactions as (select * from {{ ref('stg_transactions') }}),
fx as (select * from {{ ref('int_fx_daily') }})
select
    transactions.*,
    {{ finsight_utils.to_money('transactions.signed_amount * fx.usd_rate') }} as signed_amount_usd,
    {{ finsight_utils.to_money('transactions.amount * fx.usd_rate') }} as amount_usd
from transactions
left join fx on fx.rate_date = transactions.booked_date and fx.currency = transactions.currency
