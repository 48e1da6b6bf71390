with final as (
select account_id, balance_date, net_change_usd, balance_usd from {{ ref('int_account_balances') }}
)
select
    cast(account_id as number(38,0)) as account_id,
    cast(balance_date as date) as balance_date,
    cast(net_change_usd as number(18,2)) as net_change_usd,
    cast(balance_usd as number(18,2)) as balance_usd
from final
